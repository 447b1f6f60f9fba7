"""``logicdistill serve``: the agent behind an HTTP API (FastAPI + uvicorn, the ``[serve]`` extra).

``schemas`` the request and answer bodies; ``answers`` stage records as JSON; ``batching`` the decision
thread that gives requests arriving together one scoring pass; ``service`` the decisions (rules, deadlines,
policies loaded on first use); ``episodes`` and ``board`` the live viewer's episodes; ``app`` the routes;
``page`` the viewer page (live, or one self-contained file of a recorded episode).
"""
