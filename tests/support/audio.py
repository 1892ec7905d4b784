"""Audio files made in the test, as phones and browsers send them (PyAV, no fixtures on disk)."""

from __future__ import annotations

import array
import functools
import io
import math

import av


def tone(container: str = "webm", codec: str = "libopus", seconds: float = 2.0, *,
         rate: int = 48_000, layout: str = "mono", tags: dict[str, str] | None = None,
         stream_tags: dict[str, str] | None = None, bit_rate: int | None = None) -> bytes:
    """`seconds` of a 440 Hz tone in `container` with `codec` (e.g. webm/libopus as Chrome's
    recorder writes, mp4/aac as Safari's, mp3/libmp3lame, wav/pcm_s16le), with `tags` on
    the file and `stream_tags` on its audio stream. A low `bit_rate` keeps a long one small
    (a test client's body over 500 kB goes through a temporary file it never closes).
    Made once per test process for the same arguments (bytes: nobody can change them)."""
    return _tone(container, codec, seconds, rate, layout, tuple((tags or {}).items()),
                 tuple((stream_tags or {}).items()), bit_rate)


@functools.cache
def _tone(container: str, codec: str, seconds: float, rate: int, layout: str,
          tags: tuple[tuple[str, str], ...], stream_tags: tuple[tuple[str, str], ...],
          bit_rate: int | None) -> bytes:
    output = io.BytesIO()
    with av.open(output, "w", format=container) as target:
        target.metadata.update(dict(tags))
        stream = target.add_stream(codec, rate=rate, layout=layout)
        stream.metadata.update(dict(stream_tags))
        if bit_rate:
            stream.bit_rate = bit_rate
        resampler = av.AudioResampler(format=stream.codec_context.format.name, layout=layout,
                                      rate=rate)
        channels = 1 if layout == "mono" else 2
        total, done = int(seconds * rate), 0
        while done < total:
            size = min(960, total - done)
            samples = array.array("h", (int(9000 * math.sin(2 * math.pi * 440 * (done + i) / rate))
                                        for i in range(size) for _ in range(channels)))
            frame = av.AudioFrame(format="s16", layout=layout, samples=size)
            frame.planes[0].update(samples.tobytes())
            frame.sample_rate, frame.pts = rate, done
            for chunk in resampler.resample(frame):
                target.mux(stream.encode(chunk))
            done += size
        for chunk in resampler.resample(None):
            target.mux(stream.encode(chunk))
        target.mux(stream.encode(None))
    return output.getvalue()


def decoded(data: bytes) -> tuple[str, str, int, float, dict[str, str], dict[str, str]]:
    """(container, codec, channels, seconds, file tags, stream tags) of an audio file."""
    with av.open(io.BytesIO(data)) as source:
        stream = source.streams.audio[0]
        samples = sum(frame.samples for frame in source.decode(stream))
        return (source.format.name, stream.codec_context.name, stream.channels,
                samples / stream.rate, dict(source.metadata), dict(stream.metadata))
