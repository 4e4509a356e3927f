"""Measuring a recording's length from its content, not from what its header claims.

A header is written by whoever made the file: an MP3 whose Xing header says 1 000 frames may
carry 300 000, a WAV whose data chunk says 30 s may be followed by two hours of samples, and
a player plays them all. casebase.services.audio.audio_validate caps the MEASURED length and
refuses a file whose header and content disagree materially.

* MP3: every MPEG audio frame header is walked (version, layer, bitrate, sample rate,
  padding → frame length and samples), re-synchronising over junk the way decoders do;
  ID3v2 at the start and ID3v1/APE tags at the end are skipped.
* WAV: the byte rate of the "fmt " chunk and the bytes of the "data" chunk, counting the
  bytes after a data chunk that are no valid chunk (a player plays them as samples) and
  only the bytes really present when the declared size is larger than the file.

Other formats return None (their length is what mutagen reads: OGG from the last page's
granule position, i.e. the content's end)."""

import struct

# kbit/s by (MPEG-1?, layer) and bitrate index; index 0 (free format) and 15 are refused.
_BITRATES = {
    (True, 1): [0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448],
    (True, 2): [0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384],
    (True, 3): [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320],
    (False, 1): [0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256],
    (False, 2): [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
    (False, 3): [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
}
_SAMPLE_RATES = {3: [44100, 48000, 32000], 2: [22050, 24000, 16000], 0: [11025, 12000, 8000]}


def mp3_frame(data: bytes, pos: int) -> tuple[int, int, int] | None:
    """(frame length in bytes, samples, sample rate) of the MPEG audio frame header at
    ``pos``; None when there is none (no sync, reserved or free-format values)."""
    if pos + 4 > len(data) or data[pos] != 0xFF or data[pos + 1] & 0xE0 != 0xE0:
        return None
    b1, b2 = data[pos + 1], data[pos + 2]
    version, layer_bits = (b1 >> 3) & 3, (b1 >> 1) & 3
    bitrate_index, rate_index, padding = b2 >> 4, (b2 >> 2) & 3, (b2 >> 1) & 1
    if version == 1 or layer_bits == 0 or bitrate_index in (0, 15) or rate_index == 3:
        return None
    layer = 4 - layer_bits
    mpeg1 = version == 3
    bitrate = _BITRATES[(mpeg1, layer)][bitrate_index] * 1000
    rate = _SAMPLE_RATES[version][rate_index]
    if layer == 1:
        return (12 * bitrate // rate + padding) * 4, 384, rate
    samples = 1152 if (layer == 2 or mpeg1) else 576
    return samples // 8 * bitrate // rate + padding, samples, rate


def _id3v2_end(data: bytes) -> int:
    if data[:3] != b"ID3" or len(data) < 10:
        return 0
    size = (
        (data[6] & 0x7F) << 21 | (data[7] & 0x7F) << 14 | (data[8] & 0x7F) << 7 | (data[9] & 0x7F)
    )
    return 10 + size + (10 if data[5] & 0x10 else 0)


def _audio_end(data: bytes) -> int:
    """Where the audio ends: before an ID3v1 tag ("TAG", 128 bytes) and an APEv2 footer."""
    end = len(data)
    if end >= 128 and data[end - 128 : end - 125] == b"TAG":
        end -= 128
    if end >= 32 and data[end - 32 : end - 24] == b"APETAGEX":
        size = struct.unpack("<I", data[end - 20 : end - 16])[0]
        end = max(0, end - size - (32 if data[end - 9] & 0x80 else 0))
    return end


def _chained(data: bytes, pos: int, end: int) -> tuple[int, int, int] | None:
    """The frame at ``pos`` when the bytes after it start another frame (or the audio ends):
    two headers in a row, so a stray 0xFF in junk is not taken for audio."""
    frame = mp3_frame(data, pos)
    if frame is None or pos + frame[0] > end:
        return None
    after = pos + frame[0]
    if after + 4 <= end and mp3_frame(data, after) is None:
        return None
    return frame


def _resync(data: bytes, pos: int, end: int) -> tuple[tuple[int, int, int] | None, int]:
    """The next frame from ``pos`` on that is followed by another (see _chained) and where
    it starts; (None, end) when there is none."""
    while True:
        pos = data.find(b"\xff", pos, end)
        if pos < 0:
            return None, end
        frame = _chained(data, pos, end)
        if frame is not None:
            return frame, pos
        pos += 1


def mp3_measured_seconds(data: bytes) -> float | None:
    """The length of an MP3 by walking every frame (the way a decoder finds them); None when
    no frame is found."""
    pos, end = _id3v2_end(data), _audio_end(data)
    seconds, frames = 0.0, 0
    while pos < end:
        frame = mp3_frame(data, pos) if frames else None
        if frame is None or pos + frame[0] > end:
            frame, pos = _resync(data, pos, end)
            if frame is None:
                break
        length, samples, rate = frame
        seconds += samples / rate
        frames += 1
        pos += length
    return seconds if frames else None


def wav_measured_seconds(data: bytes) -> float | None:
    """The length of a RIFF/WAVE file from its byte rate and the sample bytes really there
    (see the module docstring); None when it has no "fmt " or "data" chunk."""
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        return None
    pos, byte_rate, sample_bytes, seen_data = 12, 0, 0, False
    while pos + 8 <= len(data):
        chunk, size = data[pos : pos + 4], struct.unpack("<I", data[pos + 4 : pos + 8])[0]
        body = pos + 8
        if chunk == b"fmt " and size >= 16:
            byte_rate = struct.unpack("<I", data[body + 8 : body + 12])[0]
        elif chunk == b"data" and not seen_data:
            seen_data = True
            sample_bytes = min(size, len(data) - body)
        elif seen_data and not (
            chunk.isascii() and chunk.decode("ascii").isprintable() and body + size <= len(data)
        ):
            sample_bytes += len(data) - pos  # no chunk: a player plays these bytes too
            break
        pos = body + size + (size & 1)
    if not seen_data or not byte_rate:
        return None
    return sample_bytes / byte_rate


def measured_seconds(extension: str, data: bytes) -> float | None:
    """The content-measured length of a recording of type ``extension``; None for types
    measured by mutagen itself, or when the content has no audio where it should."""
    if extension == "mp3":
        return mp3_measured_seconds(data)
    if extension == "wav":
        return wav_measured_seconds(data)
    return None
