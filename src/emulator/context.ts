import type { FaultInjector } from "./faults.ts";
import type { DirectoryState } from "./state.ts";
import type { TokenIssuer } from "./tokens.ts";

/** What both origins of one emulator share. */
export interface EmulatorContext {
  state: DirectoryState;
  issuer: TokenIssuer;
  faults: FaultInjector;
  loginUrl: string;
  graphUrl: string;
}
