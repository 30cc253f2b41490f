/**
 * The event bus's subscriptions to one tree (services/event-bus.ts): one alone or several,
 * each sees the tree's events from when it subscribed until it closes, in order.
 */
import { describe, expect, it } from 'vitest';
import { EventBus } from '../src/services/event-bus.js';
import type { Subscription } from '../src/types.js';

const text = (agentId: string, t: string) => ({ agentId, event: { type: 'text_delta' as const, text: t } });

async function read(subscription: Subscription): Promise<string[]> {
  const seen: string[] = [];
  for await (const { agentId, event } of subscription)
    seen.push(`${agentId}:${event.type === 'text_delta' ? event.text : event.type}`);
  return seen;
}

describe('EventBus', () => {
  it("subscriptions to one tree, alone then several, each get the tree's events while open, in order", async () => {
    // 'child' is in the tree of 'root'.
    const bus = new EventBus((id) => (id === 'child' ? ['child', 'root'] : [id]));
    const first = bus.subscribe({ tree: 'root' });
    bus.publish(text('root', '1'));
    const second = bus.subscribe({ tree: 'root' });
    bus.publish(text('child', '2'));
    first.close();
    bus.publish(text('root', '3'));
    const third = bus.subscribe({ tree: 'root' });
    const other = bus.subscribe({ tree: 'elsewhere' });
    bus.publish(text('child', '4'));
    bus.publish(text('elsewhere', '5'));
    second.close();
    third.close();
    bus.publish(text('root', '6'));
    const late = bus.subscribe({ tree: 'root' });
    bus.publish(text('root', '7'));
    late.close();
    other.close();
    expect(await read(first)).toEqual(['root:1', 'child:2']);
    expect(await read(second)).toEqual(['child:2', 'root:3', 'child:4']);
    expect(await read(third)).toEqual(['child:4']);
    expect(await read(late)).toEqual(['root:7']);
    expect(await read(other)).toEqual(['elsewhere:5']);
  });
});
