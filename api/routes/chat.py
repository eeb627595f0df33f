"""`/chat/threads`: the chat threads `POST /ai/chat` answers in (create, list, read, delete)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel, Field

from api.deps import SessionDep
from tasks.assistant import chat

router = APIRouter(tags=["chat"])


class ThreadCreate(BaseModel):
    title: str = Field(default="", max_length=200)


@router.post("/chat/threads", status_code=201)
def create_thread(session: SessionDep, body: ThreadCreate | None = None) -> dict[str, Any]:
    thread = chat.create_thread(session, body.title if body else "")
    return chat.thread_json(thread, message_count=0)


@router.get("/chat/threads")
def list_threads(session: SessionDep) -> list[dict[str, Any]]:
    return chat.list_threads(session)


@router.get("/chat/threads/{thread_id}")
def get_thread(thread_id: str, session: SessionDep) -> dict[str, Any]:
    thread = chat.get_thread(session, thread_id)
    messages = chat.thread_messages(session, thread_id)
    return chat.thread_json(
        thread,
        message_count=len(messages),
        messages=[chat.message_json(m) for m in messages],
    )


@router.delete("/chat/threads/{thread_id}", status_code=204)
def delete_thread(thread_id: str, session: SessionDep) -> Response:
    chat.delete_thread(session, thread_id)
    return Response(status_code=204)
