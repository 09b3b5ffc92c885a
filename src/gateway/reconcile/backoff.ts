/**
 * Back-off of failed registrations. uac (5.6) tries a failed registration again after a fixed
 * interval, for ever: a device whose password the PBX refuses would knock every 30 s, and many
 * PBXs ban an address after a few failed attempts (fail2ban), cutting off every user of the node.
 * So the agent takes a failed registration out of uac's hands (`uac.reg_disable`) and gives it
 * back (`uac.reg_enable`, which sends at once) after a wait that grows with each consecutive
 * failure, as RFC 5626 §4.5 has a user agent wait before recovering a flow: an upper bound
 * W = min(max-time, base-time × 2^failures), the wait drawn between 50 % and 100 % of W, so a
 * PBX that comes back is not hit by every device in the same second.
 */

export interface BackoffPolicy {
  /** RFC 5626's base-time (30 s when every flow has failed). */
  baseSeconds: number;
  /** RFC 5626's max-time (1800 s). */
  maxSeconds: number;
}

export const defaultBackoff: BackoffPolicy = { baseSeconds: 30, maxSeconds: 1800 };

/** The wait after `failures` consecutive failures (≥ 1); `random` in [0, 1). */
export function backoffWaitMs(failures: number, policy: BackoffPolicy, random: number): number {
  const upper = Math.min(policy.maxSeconds, policy.baseSeconds * 2 ** Math.min(failures, 30));
  return Math.round(upper * 1000 * (0.5 + 0.5 * random));
}

/** A uac record as the back-off reads it. */
export interface BackoffRecord {
  lUuid: string;
  state: string;
  /** uac's `timer_expires`: after a failure, when uac itself would try again. */
  nextActionAt: Date | null;
}

export interface BackoffPlan {
  /** Failed just now: out of uac's own retries until their wait is over. */
  disable: string[];
  /** Their wait is over: tried again now. */
  enable: string[];
}

/** The consecutive failures and the next try of each device, from one `uac.reg_dump` to the next. */
export class RegistrationBackoff {
  private readonly failures = new Map<string, number>();
  private readonly retryAt = new Map<string, number>();
  /** uac's next action time of each counted failure: one failure is counted once. */
  private readonly counted = new Map<string, number>();
  /** When each device was enabled again: until uac tries it, it still reads "failed". */
  private readonly enabledAt = new Map<string, number>();

  constructor(
    private readonly policy: BackoffPolicy = defaultBackoff,
    private readonly random: () => number = Math.random,
  ) {}

  /** What to disable and enable, given every record uac holds now. */
  plan(records: readonly BackoffRecord[], now: number): BackoffPlan {
    const plan: BackoffPlan = { disable: [], enable: [] };
    const seen = new Set<string>();
    for (const record of records) {
      const { lUuid: id, state } = record;
      seen.add(id);
      if (state === "registered") {
        this.forget(id);
      } else if (state === "failed") {
        // uac marks a failure by its next try (the failure's time + its retry interval); an
        // enabled record waits for uac's timer with the time of its enabling + 1 s
        const mark = record.nextActionAt?.getTime() ?? 0;
        const enabled = this.enabledAt.get(id);
        if (this.counted.get(id) === mark || (enabled !== undefined && mark <= enabled + 2_000))
          continue;
        this.counted.set(id, mark);
        this.enabledAt.delete(id);
        const failures = (this.failures.get(id) ?? 0) + 1;
        this.failures.set(id, failures);
        this.retryAt.set(id, now + backoffWaitMs(failures, this.policy, this.random()));
        plan.disable.push(id);
      } else if (state === "disabled") {
        // disabled by this node: given back once its wait is over; by no one known: at once
        const at = this.retryAt.get(id);
        if (at === undefined || at <= now) {
          this.retryAt.delete(id);
          this.enabledAt.set(id, now);
          plan.enable.push(id);
        }
      }
    }
    for (const id of [...this.failures.keys(), ...this.enabledAt.keys()])
      if (!seen.has(id)) this.forget(id);
    return plan;
  }

  /** A device whose registration was added or replaced starts with no failures. */
  forget(id: string): void {
    this.failures.delete(id);
    this.retryAt.delete(id);
    this.counted.delete(id);
    this.enabledAt.delete(id);
  }

  /** Devices waiting for their next try, and when (for health and tests). */
  waiting(): ReadonlyMap<string, number> {
    return this.retryAt;
  }
}
