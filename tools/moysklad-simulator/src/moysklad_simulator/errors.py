"""MoySklad error bodies (docs/moysklad.md, "Rate limits and errors") and the exception that carries them."""

from __future__ import annotations

from typing import Any

DOC_ERRORS = "https://dev.moysklad.ru/doc/api/remap/1.2/#error_"


class MoySkladError(Exception):
    """An error answered as ``{"errors":[{...}]}`` with the given HTTP status."""

    def __init__(self, status: int, code: int, message: str, parameter: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.parameter = parameter

    def body(self) -> dict[str, Any]:
        return error_body(self.code, self.message, self.parameter)


def error_body(code: int, message: str, parameter: str | None = None) -> dict[str, Any]:
    element: dict[str, Any] = {"error": message, "code": code}
    if parameter is not None:
        element["parameter"] = parameter
    element["moreInfo"] = f"{DOC_ERRORS}{code}"
    return {"errors": [element]}


def not_found(entity_type: str, entity_id: str) -> MoySkladError:
    return MoySkladError(404, 1021, f"Объект с типом '{entity_type}' и идентификатором '{entity_id}' не найден")


def bad_filter(detail: str) -> MoySkladError:
    return MoySkladError(400, 1034, f"Ошибка фильтрации: {detail}", "filter")


def bad_date(value: str) -> MoySkladError:
    return MoySkladError(400, 1035, f"Неверный формат даты '{value}', ожидается 'yyyy-MM-dd HH:mm:ss'", "filter")


def unknown_path(path: str) -> MoySkladError:
    return MoySkladError(404, 1002, f"Неизвестный путь: '{path}'")


def unknown_type(entity_type: str) -> MoySkladError:
    return MoySkladError(400, 1005, f"Неизвестный тип сущности: '{entity_type}'")
