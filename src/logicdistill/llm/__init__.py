"""Talking to an OpenAI-compatible chat endpoint: the client (one deadline per request, retries, a size cap),
its on-disk cache, teacher spec strings, and the prompt templates (``templates/*.txt``).

Everything that asks an LLM goes through here: the teacher (Eq. 1, Eq. 6, labels), ``teacher-direct`` and
the pursuit ``llm`` evader.
"""
