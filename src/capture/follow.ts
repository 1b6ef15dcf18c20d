import { open } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

/** Bytes read from a followed file at a time: two chunks are held at most, however far behind the reader is. */
const CHUNK = 1 << 20;

export interface FollowOptions {
  /** How often a file at its end is looked at again for more bytes, in milliseconds. */
  pollMs: number;
  /** Seconds without growth after which the file is taken as finished; 0 follows it until `signal`. */
  idleExit: number;
  /** Ends the stream at once (Ctrl-C): what was read is all there is. */
  signal: AbortSignal;
}

/**
 * The bytes of a file that may still be written (`tcpdump -w file`), as `tail -f` reads it: at
 * its end the file is polled for more, until it has not grown for `idleExit` seconds or `signal`
 * aborts. A file that does not exist yet is an error, as for analyze.
 */
export async function* followFile(path: string, o: FollowOptions): AsyncGenerator<Uint8Array> {
  const fh = await open(path, 'r');
  // The next chunk is asked for before this one is handed on, so that reading the file overlaps
  // following it (each buffer is its own: the reader copies out of a chunk after the next read).
  const read = () => fh.read(new Uint8Array(CHUNK), 0, CHUNK, null);
  let next: ReturnType<typeof read> | null = read();
  try {
    let lastGrowth = performance.now();
    while (!o.signal.aborted) {
      const { bytesRead, buffer } = await next;
      next = null;
      if (bytesRead > 0) {
        lastGrowth = performance.now();
        next = read();
        yield buffer.subarray(0, bytesRead);
        continue;
      }
      if (o.idleExit > 0 && performance.now() - lastGrowth >= o.idleExit * 1000) return;
      try {
        await sleep(o.pollMs, undefined, { signal: o.signal });
      } catch {
        return;
      }
      next = read();
    }
  } finally {
    await next?.catch(() => null);
    await fh.close();
  }
}

/** `stream`'s chunks until it ends or `signal` aborts, whichever comes first (standard input on Ctrl-C). */
export async function* untilAborted(stream: AsyncIterable<Uint8Array>, signal: AbortSignal): AsyncGenerator<Uint8Array> {
  const it = stream[Symbol.asyncIterator]();
  try {
    while (!signal.aborted) {
      // A promise of its own per chunk: one raced again and again would hold on to every chunk it lost to.
      let onAbort = (): void => {};
      const aborted = new Promise<null>((resolve) => {
        onAbort = () => resolve(null);
        signal.addEventListener('abort', onAbort, { once: true });
      });
      let r: IteratorResult<Uint8Array> | null;
      try {
        r = await Promise.race([it.next(), aborted]);
      } finally {
        signal.removeEventListener('abort', onAbort);
      }
      if (r === null || r.done) return;
      yield r.value;
    }
  } finally {
    // Left unread: a pipe whose writer goes on is not waited for.
    void it.return?.();
  }
}
