"""The teacher (L-LLM): recorded or live replies, parsed into drafts, admitted into the function base.

``make_teacher("recorded" | "recorded:DIR" | "openai:MODEL")`` gives a Teacher; ``ask(client, messages, parse)``
gets a parsed answer, asking again with the parse error when a reply is unusable. The transport (client, cache,
specs, prompt templates) lives in :mod:`logicdistill.llm` and is re-exported here.
"""

from logicdistill.llm.cache import RequestCache, request_key
from logicdistill.llm.client import ChatClient, ClientStats, TeacherClient, TeacherError
from logicdistill.llm.prompts import load_prompt, render_prompt
from logicdistill.llm.spec import TeacherSpec, make_client, parse_teacher_spec
from logicdistill.teacher.parsing import ReplyParseError, ask, extract_code_blocks, extract_json, require_code

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
