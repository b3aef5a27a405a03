"""The verification harness (issue 7): schema fuzzing, the access-control matrix, browser tests of the
admin and a real Celery worker. Each part lives in its own test module; shared helpers sit beside them."""
