/**
 * A downloaded file's body, read only up to the caller's limit, for every adapter's
 * fetchAttachment: refused at once when its declared length passes the limit, else as soon as
 * the bytes read so far do, without reading the rest.
 */

/** `tooLarge(declared)`: the error for a body over the limit (`declared`: its Content-Length, when that told). */
export async function readBounded(
  response: Response,
  maxBytes: number,
  tooLarge: (declared?: number) => Error,
): Promise<Uint8Array> {
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  if (declared > maxBytes) {
    await response.body?.cancel();
    throw tooLarge(declared);
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  if (response.body) {
    const reader = response.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > maxBytes) {
        await reader.cancel();
        throw tooLarge();
      }
      chunks.push(value);
    }
  }
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.byteLength;
  }
  return bytes;
}
