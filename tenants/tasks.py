from celery import shared_task

from .background import member_task_run


@shared_task(name="tenants.member_task", acks_late=True)
def member_task(schema_name: str, dotted_path: str, *args) -> None:
    member_task_run(schema_name, dotted_path, *args)
