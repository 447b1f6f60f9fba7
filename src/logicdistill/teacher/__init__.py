"""The teacher (L-LLM): an OpenAI-compatible chat client with an on-disk cache, reply parsing and prompts.

``make_client("openai:MODEL")`` gives a ``TeacherClient``; ``ask(client, messages, parse)`` gets a parsed answer,
asking again with the parse error when a reply is unusable; ``render_prompt(name, **values)`` fills a template.
"""

from logicdistill.teacher.cache import RequestCache, request_key
from logicdistill.teacher.client import ChatClient, ClientStats, TeacherClient, TeacherError
from logicdistill.teacher.parsing import ReplyParseError, ask, extract_code_blocks, extract_json, require_code
from logicdistill.teacher.prompts import load_prompt, render_prompt
from logicdistill.teacher.spec import TeacherSpec, make_client, parse_teacher_spec

__all__ = [
    "ChatClient",
    "ClientStats",
    "ReplyParseError",
    "RequestCache",
    "TeacherClient",
    "TeacherError",
    "TeacherSpec",
    "ask",
    "extract_code_blocks",
    "extract_json",
    "load_prompt",
    "make_client",
    "parse_teacher_spec",
    "render_prompt",
    "request_key",
    "require_code",
]
