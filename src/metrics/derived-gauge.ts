import { Registry } from "prom-client";
import type { Metric } from "prom-client";
import { escapeHelp, parseLabels, valueText } from "./text-format.ts";

export type Sample = { labels: Record<string, string>; value: number };

/**
 * Writes one sample: its labels already in exposition form (`{bot="anna",health="down"}`, or "" for
 * none; values escaped with `labelValue`) and its value.
 */
export type Emit = (labels: string, value: number) => void;

/**
 * Writes whole lines of the family, already rendered (`<name>{…} <value>\n` each), as `BotLines`
 * builds them: the fast path for per-bot families.
 */
export type EmitLines = (lines: string) => void;

/**
 * Computes a family's samples at scrape time. A per-bot family is a generator: each `yield` ends a
 * slice (a few hundred bots), where the text so far becomes one chunk and the event loop may run.
 */
export type Collect = (emit: Emit, emitLines: EmitLines) => Iterable<unknown> | void;

/** Bots per slice of a derived family (a slice of the biggest family, check_state, is about 140 KB). */
export const BOTS_PER_SLICE = 500;
/** Room for one slice; a bigger slice simply takes more chunks. */
const CHUNK_BYTES = 256 * 1024;
/** Lines are gathered into one string of about this size per write into the chunk (fewer native calls). */
const PENDING_CHARS = 4096;

/**
 * A gauge whose samples are computed at scrape time from the monitor's current state, instead
 * of being set on every change. Series of a removed bot vanish by themselves, and no per-label
 * bookkeeping runs on the sweep path.
 *
 * At fleet scale these families are most of /metrics (about 62 series per bot: 620,000 at 10,000
 * bots), so they render their own text, slice by slice: each line is one concatenation of label text
 * built once per bot, instead of prom-client's per-sample label objects and escaping, and nothing
 * holds the whole exposition unless the caller asks for one string. `FleetRegistry` uses that text;
 * `get()` (prom-client's JSON view) still works.
 */
export class DerivedGauge {
  readonly type = "gauge";
  readonly aggregator = "sum";

  readonly name: string;
  readonly help: string;
  private readonly collect: Collect;

  constructor(name: string, help: string, collect: Collect, registry: FleetRegistry) {
    this.name = name;
    this.help = help;
    this.collect = collect;
    registry.registerDerived(this);
  }

  /**
   * The family in the text exposition format, in chunks that each end with a newline. Lines are
   * gathered a few KB at a time and written straight into the chunk's buffer: nothing is joined, and
   * no text outlives its write.
   *
   * A chunk is lent, not given: it is valid until the generator is resumed, and then its buffer is
   * filled again (from `pool`). So a scrape of any size allocates a few buffers, not 45 MB of them
   * that would wait for a garbage collection as resident memory.
   */
  *chunks(pool: ChunkPool = new ChunkPool()): Generator<Buffer> {
    const name = this.name;
    let chunk = pool.take(CHUNK_BYTES);
    let at = 0;
    let pending = `# HELP ${name} ${escapeHelp(this.help)}\n# TYPE ${name} gauge\n`;
    /** Chunks filled and not yet lent: the bytes written, and the buffer to give back. */
    const full: Array<[written: Buffer, buffer: Buffer]> = [];
    const write = () => {
      // write() stops short of a character that does not fit: keep room for the longest case.
      if (chunk.length - at < pending.length * 3) {
        if (at > 0) full.push([chunk.subarray(0, at), chunk]);
        else pool.give(chunk);
        chunk = pool.take(pending.length * 3);
        at = 0;
      }
      at += chunk.write(pending, at);
      pending = "";
    };
    const emit: Emit = (labels, value) => {
      pending += `${name}${labels} ${valueText(value)}\n`;
      if (pending.length >= PENDING_CHARS) write();
    };
    // Whole lines are written as they come: they are already one flat string each, and gathering
    // them into `pending` would only make a rope to flatten again.
    const emitLines: EmitLines = (lines) => {
      if (pending !== "") write();
      pending = lines;
      write();
    };
    /** Lends the full chunks, then the one being filled; each buffer goes back to the pool once the consumer resumes. */
    function* lend(last: boolean): Generator<Buffer> {
      for (const [written, buffer] of full.splice(0)) {
        yield written;
        pool.give(buffer);
      }
      if (at === 0 && !last) return;
      if (at > 0) yield chunk.subarray(0, at);
      pool.give(chunk);
      if (!last) chunk = pool.take(CHUNK_BYTES);
      at = 0;
    }
    for (const _ of this.collect(emit, emitLines) ?? []) {
      if (pending !== "") write();
      yield* lend(false);
    }
    if (pending !== "") write();
    yield* lend(true);
  }

  async get() {
    const values: Sample[] = [];
    const emit: Emit = (labels, value) => values.push({ labels: parseLabels(labels), value });
    const emitLines: EmitLines = (lines) => {
      for (const line of lines.split("\n")) {
        if (line === "") continue;
        const space = line.lastIndexOf(" ");
        emit(line.slice(this.name.length, space), Number(line.slice(space + 1)));
      }
    };
    for (const _ of this.collect(emit, emitLines) ?? []);
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }
}

/**
 * Spare chunk buffers for one scrape. `give` takes back a buffer whose bytes nobody reads any more;
 * `take` hands one out again. Bounded: a scrape needs two or three.
 */
export class ChunkPool {
  private readonly free: Buffer[] = [];

  take(minBytes: number): Buffer {
    const i = this.free.findIndex((b) => b.length >= minBytes);
    return i >= 0 ? this.free.splice(i, 1)[0]! : Buffer.allocUnsafe(Math.max(CHUNK_BYTES, minBytes));
  }

  give(buffer: Buffer): void {
    if (this.free.length < 4 && !this.free.includes(buffer)) this.free.push(buffer);
  }
}

/**
 * Our own registry (never prom-client's global one) that lets derived gauges render themselves;
 * every other metric is rendered by prom-client as usual, in registration order, with the same
 * output as prom-client's (families separated by a blank line). Prometheus text format only.
 */
export class FleetRegistry extends Registry {
  /**
   * Registers a derived gauge in order with the other metrics. prom-client's registry keeps any object
   * with a name and get() (and getSingleMetric hands it back), but its type names only its own classes.
   */
  registerDerived(gauge: DerivedGauge): void {
    this.registerMetric(gauge as unknown as Metric);
  }

  /**
   * The exposition in chunks of at most a few hundred KB: what /metrics should stream, so that a
   * big fleet's scrape never holds its tens of MB at once. The event loop runs between chunks.
   * Chunks are lent (see DerivedGauge.chunks): the consumer must be done with one, e.g. have it
   * written to the socket, before it asks for the next.
   */
  async *stream(): AsyncGenerator<Buffer> {
    const pool = new ChunkPool();
    let first = true;
    let breathed = performance.now();
    for (const metric of this.getMetricsAsArray() as unknown[]) {
      if (!first) yield NEWLINE;
      first = false;
      if (metric instanceof DerivedGauge) {
        for (const chunk of metric.chunks(pool)) {
          yield chunk;
          // By time, not per chunk: every turn of a busy event loop runs the sweeps' callbacks first, and a
          // turn per chunk (about 180 at 10,000 bots) is where a scrape inside the sweeping monitor spends
          // most of its time beyond the render alone (242 against 69 ms in an earlier bench). This way the
          // render holds the loop at most BREATHE_AFTER_MS at a time.
          if (performance.now() - breathed >= BREATHE_AFTER_MS) {
            await breathe();
            breathed = performance.now();
          }
        }
      } else yield Buffer.from(`${await this.getSingleMetricAsString((metric as { name: string }).name)}\n`);
    }
  }

  /** The whole exposition as one string (prom-client's interface). */
  override async metrics(): Promise<string> {
    let text = "";
    for await (const chunk of this.stream()) text += chunk.toString("utf8");
    return text;
  }
}

const NEWLINE = Buffer.from("\n");

/** The longest the render runs before it lets timers and sockets in (the event-loop delay it may add). */
const BREATHE_AFTER_MS = 10;

/** Lets timers and sockets run before the render goes on. */
const breathe = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
