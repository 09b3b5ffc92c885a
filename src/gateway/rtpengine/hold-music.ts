/**
 * The gateway's built-in music on hold: a few seconds of a soft arpeggio, synthesised as a WAV
 * file (8 kHz, 16-bit mono — what G.711 carries) so no audio file ships with the product.
 * rtpengine plays it to the PBX side while Teams holds a call and the PBX plays no music.
 */

const RATE = 8_000;

/** Note frequencies (Hz) of the loop: C major 7 up and down, then A minor 7. */
const NOTES = [261.63, 329.63, 392.0, 493.88, 392.0, 329.63, 220.0, 261.63, 329.63, 392.0];
const NOTE_SECONDS = 0.6;

/** One note: a sine with its octave, faded in and out so notes join without clicks. */
function note(frequency: number, samples: Int16Array, offset: number, length: number): void {
  const fade = Math.floor(length * 0.15);
  for (let i = 0; i < length; i++) {
    const t = i / RATE;
    const envelope = Math.min(1, i / fade, (length - i) / fade);
    const value =
      0.6 * Math.sin(2 * Math.PI * frequency * t) + 0.25 * Math.sin(4 * Math.PI * frequency * t);
    samples[offset + i] = Math.round(value * envelope * 0.35 * 32_767);
  }
}

/** The music as a complete WAV file (RIFF, PCM). */
export function holdMusicWav(): Buffer {
  const perNote = Math.floor(RATE * NOTE_SECONDS);
  const samples = new Int16Array(perNote * NOTES.length);
  for (const [i, frequency] of NOTES.entries()) note(frequency, samples, i * perNote, perNote);
  const data = Buffer.from(samples.buffer);
  const header = Buffer.alloc(44);
  header.write("RIFF", 0, "ascii");
  header.writeUInt32LE(36 + data.length, 4);
  header.write("WAVE", 8, "ascii");
  header.write("fmt ", 12, "ascii");
  header.writeUInt32LE(16, 16); // fmt chunk size
  header.writeUInt16LE(1, 20); // PCM
  header.writeUInt16LE(1, 22); // mono
  header.writeUInt32LE(RATE, 24);
  header.writeUInt32LE(RATE * 2, 28); // bytes per second
  header.writeUInt16LE(2, 32); // block align
  header.writeUInt16LE(16, 34); // bits per sample
  header.write("data", 36, "ascii");
  header.writeUInt32LE(data.length, 40);
  return Buffer.concat([header, data]);
}
