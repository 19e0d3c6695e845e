/**
 * The faults a world has armed: added (with an id), listed, removed, and spent call by call. What a fault
 * is and what it does on the wire is faults.ts; this only keeps the list.
 */
import { faultSchema, planFaults } from "./faults.ts";
import type { Fault, FaultPlan } from "./faults.ts";
import { WorldError, validate } from "./world-load.ts";

export class FaultBook {
  #faults: Fault[] = [];
  #nextId = 1;

  /** Validates `input`; a fault without an id gets the next `f<n>`. */
  add(input: unknown): Fault {
    const spec = validate(faultSchema, input, "body");
    const id = spec.id ?? `f${this.#nextId++}`;
    if (this.#faults.some((f) => f.id === id)) throw new WorldError(400, `id: fault "${id}" already exists`);
    const fault = { ...spec, id };
    this.#faults.push(fault);
    return fault;
  }

  list(): Fault[] {
    return structuredClone(this.#faults);
  }

  remove(id: string): void {
    if (!this.#faults.some((f) => f.id === id)) throw new WorldError(404, `no fault with id "${id}"`);
    this.#faults = this.#faults.filter((f) => f.id !== id);
  }

  clear(): void {
    this.#faults = [];
  }

  /** Empty, and numbering from f1 again. */
  reset(): void {
    this.#faults = [];
    this.#nextId = 1;
  }

  /** What the faults do to this call; spends one `count` of each fault that took effect. */
  take(bot: string | null, method: string): FaultPlan {
    const plan = planFaults(this.#faults, bot, method);
    for (const id of plan.used) {
      const f = this.#faults.find((x) => x.id === id);
      if (f?.count === undefined) continue;
      f.count -= 1;
      if (f.count <= 0) this.#faults = this.#faults.filter((x) => x !== f);
    }
    return plan;
  }
}
