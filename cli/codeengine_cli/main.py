import click


@click.group()
def cli():
    """Run Code Engine functions through Code Engine Console."""
