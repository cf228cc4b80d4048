"""What every benchmark script prints its figures with (imported from the scripts' folder,
which Python puts first on the path when a script runs)."""


def figure(name: str, value: float, unit: str) -> None:
    """One figure as `make bench` prints it: `name value unit`."""
    print(f"{name} {value:.1f} {unit}", flush=True)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]
