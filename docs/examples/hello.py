"""A one-task DAG for the quick start: copy it to the root of a repository that gitSyncRepository names."""

import logging

import pendulum
from airflow.sdk import dag, task


@dag(dag_id="hello", schedule=None, start_date=pendulum.datetime(2026, 1, 1, tz="UTC"), catchup=False)
def hello():
    @task
    def greet():
        logging.getLogger("hello").info("hello from a Celery worker")
        return "hello"

    greet()


hello()
