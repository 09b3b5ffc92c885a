/** The dispatcher list file (setid destination flags priority attrs), one proxy a line. */

/** One resolved dispatcher destination. */
export interface DispatcherLine {
  setId: number;
  uri: string;
  priority: number;
}

/** Lays out dispatcher.list; an empty list is a file with its header comment only. */
export function dispatcherListTemplate(lines: DispatcherLine[]): string {
  const body = lines.map((line) => `${line.setId} ${line.uri} 0 ${line.priority}`).join("\n");
  return `# Teamgate gateway node dispatcher list: rendered by src/gateway/kamailio/render.ts.
# setid destination flags priority
${body}${body ? "\n" : ""}`;
}
