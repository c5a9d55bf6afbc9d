"""Which template a run uses: ``--template``, the notebook's ``metadata.nbapp.template``, or
the counterpart of Voilà's ``metadata.voila.template``; and the check of a user's template
that happens before any kernel starts."""

from __future__ import annotations

import logging
from pathlib import Path

from nbapp.notebook import Notebook
from nbapp.page.templates import VOILA_EQUIVALENTS, Template, TemplateError, find_template

log = logging.getLogger(__name__)


def chosen_template(cli_value: str | None, notebook: Notebook) -> Template | None:
    """``--template``, else ``metadata.nbapp.template``, else Voilà's ``metadata.voila.template``
    when nbapp has its counterpart; None for nbapp's default page. A template of the user's
    is checked here, before any kernel starts (syntax, blocks, the files its page names)."""
    folder = notebook.folder
    voila = notebook.node.metadata.get("voila")
    voila_name = voila.get("template") if isinstance(voila, dict) else None
    if cli_value:
        template = find_template(cli_value, folder, relative_to=Path.cwd(), origin="--template")
    elif notebook.app.template:
        origin = f"{notebook.path}: metadata.nbapp.template"
        template = find_template(notebook.app.template, folder, relative_to=folder, origin=origin)
    elif isinstance(voila_name, str) and voila_name:
        name = VOILA_EQUIVALENTS.get(voila_name, voila_name)
        try:
            template = find_template(name, folder, relative_to=folder, origin="voila")
        except TemplateError:
            log.warning(
                "%s: metadata.voila.template %r has no nbapp counterpart; nbapp's page is used",
                notebook.path,
                voila_name,
            )
            return None
    else:
        return None
    if not template.builtin:
        from nbapp.page.document import PageRenderer
        from nbapp.page.template_env import check_files

        check_files(template)
        PageRenderer(template).check()
    return template
