"""ASE's SocketIOCalculator (an i-PI protocol server) drives `so3krates ipi` as its client.

Runs a few steps of ASE velocity-Verlet dynamics whose forces come over the socket, and
writes what ASE received (positions in Å, energy in eV, forces in eV/Å, full precision) as
JSON, so that the Rust test can compare it with a direct evaluation of the model.

usage: ase_socketio.py SO3KRATES MODEL STRUCTURE OUTPUT.json (--unix NAME | --port N) STEPS
"""

import json
import subprocess
import sys

import numpy as np
from ase import units
from ase.calculators.socketio import SocketIOCalculator
from ase.io import read
from ase.md.velocitydistribution import MaxwellBoltzmannDistribution
from ase.md.verlet import VelocityVerlet


def main():
    binary, model, structure, output, mode, endpoint, steps = sys.argv[1:8]
    atoms = read(structure)
    MaxwellBoltzmannDistribution(atoms, temperature_K=500, rng=np.random.default_rng(1))

    if mode == "--unix":
        server = {"unixsocket": endpoint}
        client_endpoint = ["--unix", endpoint]
    else:
        server = {"port": int(endpoint)}
        client_endpoint = ["--address", f"127.0.0.1:{endpoint}"]

    frames = []
    with SocketIOCalculator(timeout=120, **server) as calculator:
        client = subprocess.Popen(
            [binary, "ipi", "--model", model, "--structure", structure, *client_endpoint]
        )
        atoms.calc = calculator
        dynamics = VelocityVerlet(atoms, timestep=0.5 * units.fs)

        def record():
            frames.append(
                {
                    "positions": atoms.get_positions().tolist(),
                    "energy": float(atoms.get_potential_energy()),
                    "forces": atoms.get_forces().tolist(),
                }
            )

        dynamics.attach(record, interval=1)
        dynamics.run(int(steps))
    # ASE closes the socket without EXIT: the client must take that as the end.
    returncode = client.wait(timeout=60)
    with open(output, "w") as out:
        json.dump({"frames": frames, "client_returncode": returncode}, out)


if __name__ == "__main__":
    main()
