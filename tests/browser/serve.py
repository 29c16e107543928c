"""Serve coordapp for the browser tests: ``python -m tests.browser.serve SQLITE_PATH PORT``.

Builds the database the way `make run` does (migrations, reference data, the demo network),
then serves on 127.0.0.1:PORT with Werkzeug's threaded server until it is terminated. Its
instance folder (uploads waiting to be applied) is ``instance/`` beside the database file.
"""

from __future__ import annotations

import sys
from pathlib import Path

from flask_migrate import upgrade

from coordapp import create_app
from coordapp.demo.service import load_demo
from coordapp.extensions import db
from coordapp.network.compliance_requirements import seed_requirements
from coordapp.reference.service import seed_reference_data


def main(database_path: str, port: int) -> None:
    app = create_app({"COORDAPP_ENV": "testing", "DATABASE_URL": f"sqlite:///{database_path}"})
    app.instance_path = str(Path(database_path).parent / "instance")
    with app.app_context():
        upgrade()
        seed_reference_data(db.session())
        seed_requirements(db.session())
        load_demo(db.session())
        db.session.commit()
        db.session.remove()
    app.run(host="127.0.0.1", port=port, threaded=True, use_reloader=False)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
