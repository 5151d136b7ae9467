"""JupyterHub for a class on one machine (make hub, tests/classroom): 127.0.0.1 only, one shared class password.

tools/hub_local.py starts `jupyterhub -f` this file with the NORMLAB_HUB_* variables below set. Each student gets a
single-user JupyterLab from the course environment (this Python), in a home folder of their own under the state
folder, as the same system user (SimpleLocalProcessSpawner: fit for a machine of the instructor's, not for strangers;
README "Teaching a class on a JupyterHub" says what a real server uses instead).
"""

import os
import sys
from pathlib import Path

c = get_config()  # noqa: F821 - JupyterHub's config loader provides it

state = Path(os.environ["NORMLAB_HUB_STATE"])
bin_dir = Path(sys.executable).parent
port, hub_port, api_port = (int(os.environ[f"NORMLAB_HUB_{n}"]) for n in ("PORT", "HUB_PORT", "API_PORT"))

c.JupyterHub.bind_url = f"http://127.0.0.1:{port}"
c.JupyterHub.hub_ip, c.JupyterHub.hub_port = "127.0.0.1", hub_port
c.JupyterHub.db_url = f"sqlite:///{state / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(state / "jupyterhub_cookie_secret")
c.JupyterHub.pid_file = str(state / "jupyterhub.pid")
c.JupyterHub.cleanup_servers = True  # stopping the hub stops every student's server (and so their kernels)

c.ConfigurableHTTPProxy.command = [os.environ["NORMLAB_HUB_PROXY"]]
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{api_port}"
c.ConfigurableHTTPProxy.pid_file = str(state / "proxy.pid")

# One password for the class (the instructor hands it out); any user name is a new student.
c.JupyterHub.authenticator_class = "shared-password"
c.SharedPasswordAuthenticator.user_password = os.environ["NORMLAB_HUB_PASSWORD"]
c.Authenticator.allow_all = True

c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = str(state / "home" / "{username}")
c.Spawner.cmd = [str(bin_dir / "jupyterhub-singleuser")]
c.Spawner.ip = "127.0.0.1"
c.Spawner.default_url = "/lab"
c.Spawner.start_timeout = c.Spawner.http_timeout = 120
# One torch thread per kernel: a class has more kernels than the server has cores, and oversubscribed threads make
# small torch ops crawl (make bench-hub measured the class this way).
c.Spawner.environment = {"OMP_NUM_THREADS": "1"}
if os.geteuid() == 0:  # containers and CI run as root; JupyterLab refuses that unless told
    c.Spawner.args = ["--allow-root"]
