"""The Jupyter kernel websocket wire format that @jupyterlab/services speaks.

Text frames are JSON messages with a ``channel`` key; messages with binary buffers travel as
one binary frame: ``nbufs, offsets...`` (big-endian uint32), then the JSON, then the buffers.
"""

from __future__ import annotations

import json
import struct
from itertools import pairwise
from typing import Any

from jupyter_client.jsonutil import json_default

Message = dict[str, Any]


class MalformedMessage(ValueError):
    """A frame from the page that is not a Jupyter message."""


def encode(msg: Message) -> str | bytes:
    buffers = [bytes(b) for b in msg.get("buffers") or []]
    body = {k: v for k, v in msg.items() if k != "buffers"}
    text = json.dumps(body, default=json_default)
    if not buffers:
        return text
    parts = [text.encode("utf-8"), *buffers]
    offsets = [4 * (len(parts) + 1)]
    for part in parts[:-1]:
        offsets.append(offsets[-1] + len(part))
    return struct.pack(f"!{len(parts) + 1}I", len(parts), *offsets) + b"".join(parts)


def decode(frame: str | bytes) -> Message:
    if isinstance(frame, str):
        return _checked(_loads(frame), [])
    if len(frame) < 4:
        raise MalformedMessage("binary frame too short")
    (count,) = struct.unpack_from("!I", frame)
    if count < 1 or 4 * (count + 1) > len(frame):
        raise MalformedMessage("binary frame has a bad header")
    offsets = list(struct.unpack_from(f"!{count}I", frame, 4))
    offsets.append(len(frame))
    if offsets != sorted(offsets) or offsets[0] < 4 * (count + 1):
        raise MalformedMessage("binary frame has bad offsets")
    parts = [frame[start:end] for start, end in pairwise(offsets)]
    return _checked(_loads(parts[0]), parts[1:])


def _loads(data: str | bytes) -> Any:
    try:
        return json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise MalformedMessage("not JSON") from exc


def _checked(msg: Any, buffers: list[bytes]) -> Message:
    if not isinstance(msg, dict):
        raise MalformedMessage("not a JSON object")
    header = msg.get("header")
    if not isinstance(header, dict) or not isinstance(header.get("msg_type"), str):
        raise MalformedMessage("no header.msg_type")
    if not isinstance(header.get("msg_id"), str):
        raise MalformedMessage("no header.msg_id")
    for key in ("parent_header", "metadata", "content"):
        msg.setdefault(key, {})
        if not isinstance(msg[key], dict):
            raise MalformedMessage(f"{key} is not an object")
    if not isinstance(msg.get("channel"), str):
        raise MalformedMessage("no channel")
    msg["buffers"] = buffers
    return msg
