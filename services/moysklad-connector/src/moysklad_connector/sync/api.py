"""``/api/v1/admin/sync`` for MoySklad: the kit's routes (crm_integration.admin.sync) over this connector's job and
skipped-object shapes (sync/schemas.py) and its re-drive."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from crm_integration.admin.sync import sync_router
from moysklad_connector.sync.redrive import redrive_letter
from moysklad_connector.sync.schemas import DeadLetterOut, DeadLetterPage, SyncJobOut, SyncJobPage, SyncStartIn
from moysklad_connector.tables import TABLES


class MoySkladJobs:
    start: type[BaseModel] = SyncStartIn
    job: type[BaseModel] = SyncJobOut
    job_page: type[BaseModel] = SyncJobPage
    letter: type[BaseModel] = DeadLetterOut
    letter_page: type[BaseModel] = DeadLetterPage
    redrive_description = "Read a skipped object again from MoySklad and publish it if it maps now."

    async def redrive(self, service: Any, letter_id: int) -> Any:
        return await redrive_letter(service, letter_id)


router = sync_router(MoySkladJobs(), TABLES)
