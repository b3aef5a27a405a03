import os

from celery import Celery, Task

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")


class ContextTask(Task):
    """Every task writes the activity log as `task:<name>`."""

    def __call__(self, *args, **kwargs):
        from crm.core.context import use_context

        with use_context(channel=f"task:{self.name.rsplit('.', 1)[-1]}"):
            return super().__call__(*args, **kwargs)


app = Celery("crm", task_cls=ContextTask)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
