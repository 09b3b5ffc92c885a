import { describe, expect, it } from "vitest";
import { holdMusicWav } from "./hold-music.ts";

describe("the built-in hold music", () => {
  it("is a valid 8 kHz 16-bit mono PCM WAV of several seconds, not silence, never clipping", () => {
    const wav = holdMusicWav();
    expect(wav.toString("ascii", 0, 4)).toBe("RIFF");
    expect(wav.readUInt32LE(4)).toBe(wav.length - 8);
    expect(wav.toString("ascii", 8, 16)).toBe("WAVEfmt ");
    expect(wav.readUInt16LE(20)).toBe(1);
    expect(wav.readUInt16LE(22)).toBe(1);
    expect(wav.readUInt32LE(24)).toBe(8_000);
    expect(wav.readUInt16LE(34)).toBe(16);
    const bytes = wav.readUInt32LE(40);
    expect(bytes).toBe(wav.length - 44);
    const seconds = bytes / 2 / 8_000;
    expect(seconds).toBeGreaterThan(4);
    let peak = 0;
    for (let i = 44; i < wav.length; i += 2) peak = Math.max(peak, Math.abs(wav.readInt16LE(i)));
    expect(peak).toBeGreaterThan(5_000);
    expect(peak).toBeLessThan(32_767);
  });
});
