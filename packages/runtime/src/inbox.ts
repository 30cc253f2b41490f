/**
 * Messages a caller sends into a running run. Steering is urgent (it reaches the model at the
 * next chance, after the current tool batch); follow-ups wait until the current task's final
 * answer and then each starts a new task in the same run.
 */
export class Inbox {
  private readonly steering: string[] = [];
  private readonly followUps: string[] = [];

  steer(text: string): void {
    this.steering.push(text);
  }

  followUp(text: string): void {
    this.followUps.push(text);
  }

  /** All pending steering messages, oldest first; the queue is emptied. */
  takeSteering(): string[] {
    return this.steering.splice(0, this.steering.length);
  }

  /** The oldest pending follow-up, if any. */
  takeFollowUp(): string | undefined {
    return this.followUps.shift();
  }
}
