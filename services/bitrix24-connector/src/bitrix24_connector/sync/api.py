"""``/api/v1/admin/bitrix24/sync``: the kit's routes (crm_integration.admin.sync) over this connector's job and
skipped-record shapes and its re-drive."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from bitrix24_connector.sync.redrive import redrive_record
from bitrix24_connector.sync.schemas import SkippedOut, SkippedPage, SyncJobOut, SyncJobPage, SyncStartIn
from bitrix24_connector.tables import TABLES
from crm_integration.admin.sync import sync_router

PREFIX = "/api/v1/admin/bitrix24/sync"


class Bitrix24Jobs:
    start: type[BaseModel] = SyncStartIn
    job: type[BaseModel] = SyncJobOut
    job_page: type[BaseModel] = SyncJobPage
    letter: type[BaseModel] = SkippedOut
    letter_page: type[BaseModel] = SkippedPage
    redrive_description = "Read a skipped record again from Bitrix24 and publish it if it maps now."

    async def redrive(self, service: Any, letter_id: int) -> Any:
        return await redrive_record(service, letter_id)


router = sync_router(Bitrix24Jobs(), TABLES, PREFIX)
