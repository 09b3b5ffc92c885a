import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { canRunGateway, checkGatewayPrerequisites, formatDoctorReport } from "./doctor.ts";

describe("teamgate doctor", () => {
  it("names each missing part and the one apt-get line that adds them", () => {
    const report = checkGatewayPrerequisites({ path: "", moduleDirs: [] });
    expect(report.present).toEqual([]);
    expect(report.installLine).toBe(
      "apt-get install -y kamailio rtpengine-daemon sip-tester kamailio-tls-modules kamailio-json-modules",
    );
    expect(formatDoctorReport(report)).toContain("missing  rtpengine");
    expect(canRunGateway(report)).toBe(false);
  });

  it("finds programs on PATH and modules in the module directory", () => {
    const root = mkdtempSync(join(tmpdir(), "doctor-"));
    const bin = join(root, "bin");
    const mods = join(root, "modules");
    mkdirSync(bin);
    mkdirSync(mods);
    for (const name of ["kamailio", "rtpengine", "sipp"]) {
      writeFileSync(join(bin, name), "#!/bin/sh\n");
      chmodSync(join(bin, name), 0o755);
    }
    for (const name of [
      "uac",
      "htable",
      "dispatcher",
      "dialog",
      "ipops",
      "textopsx",
      "siptrace",
      "xhttp",
      "jsonrpcs",
      "tls",
      "rtpengine",
      "json",
    ])
      writeFileSync(join(mods, `${name}.so`), "");
    const report = checkGatewayPrerequisites({ path: bin, moduleDirs: [mods] });
    expect(report.missing).toEqual([]);
    expect(report.installLine).toBeNull();
    expect(formatDoctorReport(report)).toContain("Everything a gateway node needs is installed.");
  });

  it("can run a gateway with Kamailio and its modules, without rtpengine or sipp", () => {
    const root = mkdtempSync(join(tmpdir(), "doctor-"));
    const bin = join(root, "bin");
    const mods = join(root, "modules");
    mkdirSync(bin);
    mkdirSync(mods);
    writeFileSync(join(bin, "kamailio"), "#!/bin/sh\n");
    chmodSync(join(bin, "kamailio"), 0o755);
    const modules = [
      ...["uac", "htable", "dispatcher", "dialog", "ipops", "textopsx"],
      ...["siptrace", "xhttp", "jsonrpcs", "tls"],
    ];
    for (const name of [...modules, "rtpengine", "json"])
      writeFileSync(join(mods, `${name}.so`), "");
    expect(canRunGateway(checkGatewayPrerequisites({ path: bin, moduleDirs: [mods] }))).toBe(true);
    const withoutJson = mkdtempSync(join(tmpdir(), "doctor-"));
    for (const name of [...modules, "rtpengine"])
      writeFileSync(join(withoutJson, `${name}.so`), "");
    expect(canRunGateway(checkGatewayPrerequisites({ path: bin, moduleDirs: [withoutJson] }))).toBe(
      false,
    );
  });
});
