"""Analytics: ``fangkong epi …`` on files, ``rt``/``forecast`` on stored data, ``scenario``."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from fangkong.cli import app, choose, console, err_console, fail, iso_date, settings

epi_app = typer.Typer(
    help="Epidemiological analytics on files (no database needed).", no_args_is_help=True
)
app.add_typer(epi_app, name="epi")


@epi_app.command("rt")
def epi_rt(
    incidence: Annotated[
        str,
        typer.Option(
            help="CSV: local (or I / incidence), optional "
            "imported and dates columns, one row a day."
        ),
    ],
    si_distr: Annotated[
        str | None,
        typer.Option(
            help="CSV of the discrete serial interval w_0=0, w_1, … (method non_parametric_si)."
        ),
    ] = None,
    si_mean: Annotated[float | None, typer.Option(help="Mean serial interval (days).")] = None,
    si_sd: Annotated[float | None, typer.Option(help="SD of the serial interval (days).")] = None,
    window: Annotated[int, typer.Option(help="Sliding window length (days).")] = 7,
    t_start: Annotated[
        list[int] | None,
        typer.Option(help="Window starts, 1-based (repeat the option); with --t-end."),
    ] = None,
    t_end: Annotated[list[int] | None, typer.Option(help="Window ends, 1-based.")] = None,
    mean_prior: Annotated[float, typer.Option(help="Prior mean of R.")] = 5.0,
    std_prior: Annotated[float, typer.Option(help="Prior SD of R.")] = 5.0,
    method: Annotated[
        str | None,
        typer.Option(
            help="non_parametric_si, parametric_si or uncertain_si (default: from the SI given)."
        ),
    ] = None,
    std_mean_si: Annotated[
        float | None, typer.Option(help="uncertain_si: SD of the SI mean.")
    ] = None,
    min_mean_si: Annotated[float | None, typer.Option(help="uncertain_si: lowest SI mean.")] = None,
    max_mean_si: Annotated[
        float | None, typer.Option(help="uncertain_si: highest SI mean.")
    ] = None,
    std_std_si: Annotated[float | None, typer.Option(help="uncertain_si: SD of the SI SD.")] = None,
    min_std_si: Annotated[float | None, typer.Option(help="uncertain_si: lowest SI SD.")] = None,
    max_std_si: Annotated[float | None, typer.Option(help="uncertain_si: highest SI SD.")] = None,
    n1: Annotated[int, typer.Option(help="uncertain_si: SI distributions drawn.")] = 100,
    n2: Annotated[int, typer.Option(help="uncertain_si: R draws per SI distribution.")] = 100,
    seed: Annotated[int, typer.Option(help="uncertain_si: random seed.")] = 1,
    output_format: Annotated[str, typer.Option("--format", help="csv or json.")] = "csv",
) -> None:
    """R_t by the method of Cori et al. (2013), exactly as R's EpiEstim estimate_R, for an
    incidence file. Exit status 2 on bad input (one line naming file, line, column)."""
    import json
    from pathlib import Path

    from fangkong.core.epi.rt import UncertainSI
    from fangkong.services import rt as rt_svc
    from fangkong.services.errors import ServiceError

    choose(output_format, "--format", ("csv", "json"))
    if (si_distr is None) == (si_mean is None and si_sd is None):
        raise fail("give either --si-distr FILE or --si-mean M --si-sd S", 2)
    try:
        data = rt_svc.read_incidence_csv(Path(incidence))
        distr = rt_svc.read_si_distr_csv(Path(si_distr)) if si_distr else None
        uncertain = None
        if method == "uncertain_si":
            spread = (std_mean_si, min_mean_si, max_mean_si, std_std_si, min_std_si, max_std_si)
            if si_mean is None or si_sd is None or any(v is None for v in spread):
                raise fail(
                    "uncertain_si needs --si-mean --si-sd --std-mean-si --min-mean-si "
                    "--max-mean-si --std-std-si --min-std-si --max-std-si",
                    2,
                )
            sm, mn, mx, ss, smin, smax = (float(v or 0) for v in spread)
            uncertain = UncertainSI(
                mean_si=si_mean,
                std_mean_si=sm,
                min_mean_si=mn,
                max_mean_si=mx,
                std_si=si_sd,
                std_std_si=ss,
                min_std_si=smin,
                max_std_si=smax,
                n1=n1,
                n2=n2,
            )
        est = rt_svc.estimate(
            data.local,
            data.imported,
            method=method,
            si_distr=distr,
            si_mean=si_mean,
            si_sd=si_sd,
            uncertain=uncertain,
            t_start=t_start or None,
            t_end=t_end or None,
            window=window,
            mean_prior=mean_prior,
            std_prior=std_prior,
            seed=seed,
        )
    except ServiceError as exc:
        raise fail(exc.message, 2) from exc
    for note in est.warnings:
        err_console.print(f"warning: {note}", highlight=False, markup=False, soft_wrap=True)
    rows = rt_svc.estimate_rows(est, data.dates)
    if output_format == "json":
        typer.echo(
            json.dumps(
                {
                    "method": est.method,
                    "si_mean": float(est.si_mean.mean()),
                    "si_std": float(est.si_std.mean()),
                    "items": rows,
                    "warnings": list(est.warnings),
                },
                indent=1,
            )
        )
    else:
        typer.echo(rt_svc.rows_to_csv(rows, data.dates is not None), nl=False)


@app.command("rt")
def region_rt(
    region: Annotated[str, typer.Option(help="Region code (420000, CN, US …).")],
    si_mean: Annotated[float, typer.Option(help="Mean serial interval (days), e.g. 7.5.")],
    si_sd: Annotated[float, typer.Option(help="SD of the serial interval (days), e.g. 3.4.")],
    source: Annotated[
        str | None, typer.Option(help="Source; default: the preferred one the region has.")
    ] = None,
    date_from: Annotated[str | None, typer.Option("--from", help="First window end (ISO).")] = None,
    date_to: Annotated[str | None, typer.Option("--to", help="Last window end (ISO).")] = None,
    window: Annotated[int, typer.Option(help="Sliding window length (days).")] = 7,
    basis: Annotated[
        str,
        typer.Option(
            help="report (new confirmed by report date) or onset (line list by onset date)."
        ),
    ] = "report",
    output_format: Annotated[str, typer.Option("--format", help="table, csv or json.")] = "table",
) -> None:
    """R_t of a stored region (Cori et al. 2013, as EpiEstim) over sliding windows."""
    import json

    from fangkong.services import rt as rt_svc
    from fangkong.services.errors import ServiceError
    from fangkong.store.db import make_engine

    choose(output_format, "--format", ("table", "csv", "json"))
    first, last = iso_date(date_from, "--from"), iso_date(date_to, "--to")
    s = settings()
    engine = make_engine(s.database_url)
    try:
        out = rt_svc.region_rt(
            engine,
            region,
            si_mean=si_mean,
            si_sd=si_sd,
            window=window,
            date_from=first,
            date_to=last,
            source=source,
            basis=basis,
            priority=s.source_priority,
        )
    except ServiceError as exc:
        raise fail(exc.message, 2) from exc
    finally:
        engine.dispose()
    for note in out["notes"]:
        err_console.print(f"note: {note}", highlight=False, markup=False, soft_wrap=True)
    for note in out["warnings"]:
        err_console.print(f"warning: {note}", highlight=False, markup=False, soft_wrap=True)
    if output_format == "json":
        typer.echo(json.dumps(out, indent=1))
    elif output_format == "csv":
        typer.echo(rt_svc.rows_to_csv(out["items"], True), nl=False)
    else:
        table = Table(
            "window",
            "mean R",
            "95% CrI",
            "50% CrI",
            title=f"R_t {out['region_code']} ({out['source']}, {out['basis']} date; "
            f"SI {si_mean}/{si_sd} d)",
        )
        for r in out["items"]:
            table.add_row(
                f"{r['date_start']}..{r['date_end']}",
                f"{r['mean']:.2f}",
                f"{r['q0.025']:.2f}-{r['q0.975']:.2f}",
                f"{r['q0.25']:.2f}-{r['q0.75']:.2f}",
            )
        console.print(table)


@epi_app.command("forecast")
def epi_forecast(
    incidence: Annotated[
        str,
        typer.Option(
            help="Daily incidence CSV (column local, I or incidence; optional imported, date)."
        ),
    ],
    horizon: Annotated[int, typer.Option(help="Days ahead (1-28).")] = 14,
    si_mean: Annotated[float, typer.Option(help="Mean serial interval (days).")] = 4.7,
    si_sd: Annotated[float, typer.Option(help="SD of the serial interval (days).")] = 2.9,
    window: Annotated[int, typer.Option(help="Days of the last R window.")] = 7,
    seed: Annotated[int, typer.Option(help="Random seed (numpy Generator).")] = 1,
    output_format: Annotated[str, typer.Option("--format", help="csv or json.")] = "csv",
) -> None:
    """Forecast daily cases by the renewal equation (prediction quantiles 0.025-0.975)."""
    from pathlib import Path

    from fangkong.services import forecast as fc_svc
    from fangkong.services.errors import ServiceError
    from fangkong.services.rt import read_incidence_csv

    choose(output_format, "--format", ("csv", "json"))
    try:
        data = read_incidence_csv(Path(incidence))
        counts = list(data.local)
        if data.imported is not None:
            counts = [a + b for a, b in zip(counts, data.imported, strict=True)]
        out = fc_svc.forecast_counts(
            counts,
            horizon=horizon,
            si_mean=si_mean,
            si_sd=si_sd,
            window=window,
            seed=seed,
            dates=data.dates,
        )
    except ServiceError as exc:
        raise fail(exc.message, 2) from exc
    if output_format == "json":
        typer.echo(fc_svc.to_json(out))
    else:
        typer.echo(fc_svc.items_to_csv(out["items"]), nl=False)


@app.command("forecast")
def forecast_region(
    region: Annotated[str, typer.Option(help="Region code (420000, IT, US …).")],
    horizon: Annotated[int, typer.Option(help="Days ahead (1-28).")] = 14,
    si_mean: Annotated[float, typer.Option(help="Mean serial interval (days).")] = 4.7,
    si_sd: Annotated[float, typer.Option(help="SD of the serial interval (days).")] = 2.9,
    window: Annotated[int, typer.Option(help="Days of the last R window.")] = 7,
    date_from: Annotated[
        str | None,
        typer.Option(
            "--from", help="First forecast day (ISO); default: after the last stored day."
        ),
    ] = None,
    source: Annotated[str | None, typer.Option(help="Source of the daily figures.")] = None,
    seed: Annotated[int, typer.Option(help="Random seed (numpy Generator).")] = 1,
    output_format: Annotated[str, typer.Option("--format", help="table, csv or json.")] = "table",
) -> None:
    """Forecast a stored region's daily new confirmed cases (renewal equation)."""

    from fangkong.services import forecast as fc_svc
    from fangkong.services.errors import ServiceError
    from fangkong.store.db import make_engine

    choose(output_format, "--format", ("table", "csv", "json"))
    first = iso_date(date_from, "--from")
    s = settings()
    engine = make_engine(s.database_url)
    try:
        out = fc_svc.region_forecast(
            engine,
            region,
            horizon=horizon,
            si_mean=si_mean,
            si_sd=si_sd,
            window=window,
            forecast_from=first,
            source=source,
            priority=s.source_priority,
            seed=seed,
        )
    except ServiceError as exc:
        raise fail(exc.message, 2) from exc
    finally:
        engine.dispose()
    for note in out["notes"]:
        err_console.print(f"note: {note}", highlight=False, markup=False, soft_wrap=True)
    if output_format == "json":
        typer.echo(fc_svc.to_json(out))
        return
    if output_format == "csv":
        typer.echo(fc_svc.items_to_csv(out["items"]), nl=False)
        return
    table = Table(
        "date",
        "median",
        "50% PI",
        "90% PI",
        "observed",
        title=f"forecast {out['region_code']} ({out['source']}, data to "
        f"{out['data_to']}; SI {si_mean}/{si_sd} d)",
    )
    for it in out["items"]:
        obs = it.get("observed")
        table.add_row(
            it["date"],
            f"{it['q0.5']:,.0f}",
            f"{it['q0.25']:,.0f}-{it['q0.75']:,.0f}",
            f"{it['q0.05']:,.0f}-{it['q0.95']:,.0f}",
            "" if obs is None else f"{obs:,}",
        )
    console.print(table)


@epi_app.command("nowcast")
def epi_nowcast(
    file: Annotated[
        str,
        typer.Option(
            help="Line-list CSV with onset_date and report_date "
            "or confirmation_date (or beoutbreakprepared)."
        ),
    ],
    cutoff: Annotated[
        str | None,
        typer.Option(help="Nowcast as known on this day (ISO); default: the last report date."),
    ] = None,
    days: Annotated[int, typer.Option(help="Onset days to show (up to the cut-off).")] = 28,
    seed: Annotated[int, typer.Option(help="Random seed (numpy Generator).")] = 1,
    output_format: Annotated[str, typer.Option("--format", help="csv or json.")] = "csv",
) -> None:
    """Nowcast cases by onset date, correcting for cases not yet reported."""
    import json
    from pathlib import Path

    from fangkong.services import nowcast as nc_svc
    from fangkong.services.errors import ServiceError

    choose(output_format, "--format", ("csv", "json"))
    cut = iso_date(cutoff, "--cutoff")
    try:
        out = nc_svc.file_nowcast(Path(file), cutoff=cut, seed=seed, days=days)
    except ServiceError as exc:
        raise fail(exc.message, 2) from exc
    if output_format == "json":
        typer.echo(json.dumps(out, indent=1))
        return
    for note in out["notes"]:
        err_console.print(f"note: {note}", highlight=False, markup=False, soft_wrap=True)
    typer.echo(nc_svc.items_to_csv(out["items"]), nl=False)


@epi_app.command("delays")
def epi_delays(
    file: Annotated[
        str,
        typer.Option(
            help="Line-list CSV (Tindale et al. cluster list for "
            "serial/incubation; any list with onset and "
            "confirmation dates for onset-to-confirmation)."
        ),
    ],
    kind: Annotated[str, typer.Option(help="serial, incubation or onset-to-confirmation.")],
    dist: Annotated[
        str,
        typer.Option(
            help="gamma, lognormal, weibull, normal, shifted_gamma … or best (all, by AIC)."
        ),
    ] = "best",
    bootstrap: Annotated[int, typer.Option(help="Bootstrap replicates for the 95% CIs.")] = 0,
    seed: Annotated[int, typer.Option(help="Bootstrap seed (numpy Generator).")] = 1,
    censoring: Annotated[
        str, typer.Option(help="double (both dates to the day), single ([d, d+1)) or interval.")
    ] = "double",
    output_format: Annotated[str, typer.Option("--format", help="table or json.")] = "table",
) -> None:
    """Fit delay distributions by maximum likelihood with day interval-censoring."""
    import json
    from pathlib import Path

    from fangkong.services import delays as delay_svc
    from fangkong.services.errors import ServiceError

    choose(output_format, "--format", ("table", "json"))
    try:
        report = delay_svc.file_delays(
            Path(file), kind, dist=dist, bootstrap=bootstrap, seed=seed, censoring=censoring
        )
    except ServiceError as exc:
        raise fail(exc.message, 2) from exc
    if output_format == "json":
        typer.echo(json.dumps(report, indent=1))
        return
    table = Table(title=f"{kind}: n = {report['n']}, censoring {report['censoring']}")
    for col in ("family", "parameters", "mean (95% CI)", "sd (95% CI)", "AIC", "ΔAIC"):
        table.add_column(col)

    def with_ci(fit: dict[str, object], name: str) -> str:
        ci = fit["ci95"].get(name) if isinstance(fit["ci95"], dict) else None
        value = f"{fit[name]:.2f}"
        return f"{value} ({ci[0]:.2f}–{ci[1]:.2f})" if ci else value

    for fit in report["fits"]:
        params = ", ".join(f"{k}={v:.3g}" for k, v in fit["parameters"].items())
        table.add_row(
            fit["family"],
            params,
            with_ci(fit, "mean"),
            with_ci(fit, "sd"),
            f"{fit['aic']:.2f}",
            f"{fit['delta_aic']:.2f}",
        )
    console.print(table)
    icc = report.get("icc")
    if icc and "mean" in icc:
        ci = icc.get("mean_ci95")
        tail = f" (95% CI {ci[0]:.2f}–{ci[1]:.2f})" if ci else ""
        console.print(
            f"interval case-to-case (Vink et al. 2014, K={icc['k']}, "
            f"{icc['n_intervals']} intervals): mean {icc['mean']:.2f}{tail}, "
            f"sd {icc['sd']:.2f}",
            highlight=False,
        )
    for note in report["skipped"]:
        err_console.print(f"skipped {note}", highlight=False, markup=False)


@epi_app.command("growth")
def epi_growth(
    incidence: Annotated[
        str,
        typer.Option(
            help="CSV with a date column and a daily count "
            "column (count, new_confirmed, cases, I …)."
        ),
    ],
    date_from: Annotated[str | None, typer.Option("--from", help="First day (ISO).")] = None,
    date_to: Annotated[str | None, typer.Option("--to", help="Last day (ISO).")] = None,
    model: Annotated[str, typer.Option(help="poisson or negbin.")] = "poisson",
    output_format: Annotated[str, typer.Option("--format", help="text or json.")] = "text",
) -> None:
    """Exponential growth rate and doubling time by log-linear regression of daily counts."""
    import json
    from pathlib import Path

    from fangkong.services import delays as delay_svc
    from fangkong.services.errors import ServiceError

    first, last = iso_date(date_from, "--from"), iso_date(date_to, "--to")
    try:
        fit = delay_svc.file_growth(Path(incidence), date_from=first, date_to=last, model=model)
    except ServiceError as exc:
        raise fail(exc.message, 2) from exc
    if output_format == "json":
        typer.echo(json.dumps(fit, indent=1))
        return
    lo, hi = fit["growth_rate_ci95"]
    console.print(
        f"{fit['from']}..{fit['to']} ({fit['n_days']} days, {fit['total']:,} cases, "
        f"{model}): r = {fit['growth_rate']:.4f}/day (95% CI {lo:.4f} to {hi:.4f})",
        highlight=False,
    )
    for name in ("doubling_time", "halving_time"):
        if fit[name] is not None:
            a, b = fit[f"{name}_ci95"]
            upper = "∞" if b is None else f"{b:.2f}"
            console.print(
                f"{name.replace('_', ' ')}: {fit[name]:.2f} days (95% CI {a:.2f} to {upper})",
                highlight=False,
            )


def _parse_intervention(text: str) -> object:
    """``START:REDUCTION[:end=DATE][:ramp=DAYS][:label=TEXT]`` for ``fangkong scenario``."""
    from datetime import date

    from fangkong.services.scenarios import InterventionSpec

    parts = text.split(":")
    if len(parts) < 2:
        raise ValueError(f"{text!r}: expected START:REDUCTION, e.g. 2020-01-23:0.7")
    extra = {}
    for item in parts[2:]:
        key, sep, value = item.partition("=")
        if not sep or key not in ("end", "ramp", "label"):
            raise ValueError(f"{text!r}: unknown part {item!r} (end=DATE, ramp=DAYS, label=TEXT)")
        extra[key] = value
    return InterventionSpec(
        start=date.fromisoformat(parts[0]),
        reduction=float(parts[1]),
        end=date.fromisoformat(extra["end"]) if "end" in extra else None,
        ramp_days=float(extra.get("ramp", 0)),
        label=extra.get("label", ""),
    )


@app.command("scenario")
def scenario(
    start: Annotated[str, typer.Option(help="First day of the run (ISO).")],
    region: Annotated[
        str | None,
        typer.Option(help="Region code: its census population is used (needs the database)."),
    ] = None,
    population: Annotated[
        float | None, typer.Option(help="Population (instead of, or overriding, the region's).")
    ] = None,
    r0: Annotated[
        float,
        typer.Option("--r0", help="Basic reproduction number (default 2.2, Li et al. NEJM 2020)."),
    ] = 2.2,
    days: Annotated[int, typer.Option(help="Days to simulate (1-1000).")] = 180,
    intervention: Annotated[
        list[str] | None,
        typer.Option(
            help="START:REDUCTION[:end=DATE][:ramp=DAYS][:label=TEXT], e.g. 2020-01-23:0.7 "
            "(repeat the option for several)."
        ),
    ] = None,
    compare_delay: Annotated[
        list[int] | None,
        typer.Option(help="Also run the same interventions this many days later (repeatable)."),
    ] = None,
    no_intervention: Annotated[
        bool,
        typer.Option("--no-intervention", help="Also run a scenario without any intervention."),
    ] = False,
    latent_period: Annotated[float, typer.Option(help="Mean latent period, days.")] = 5.2,
    infectious_period: Annotated[float, typer.Option(help="Mean infectious period, days.")] = 2.3,
    initial_infections: Annotated[float, typer.Option(help="Infected on the start day.")] = 1.0,
    calibrate: Annotated[
        str | None,
        typer.Option(
            help="DATE:COUNT: choose the initial infections so that COUNT people have been "
            "infected by DATE (e.g. 2020-01-25:75815, Wu et al. Lancet 2020)."
        ),
    ] = None,
    hospitalised_fraction: Annotated[
        float, typer.Option(help="Fraction of infections hospitalised.")
    ] = 0.044,
    icu_fraction: Annotated[float, typer.Option(help="Fraction of admissions to ICU.")] = 0.30,
    stochastic: Annotated[bool, typer.Option(help="Binomial-chain stochastic runs.")] = False,
    seed: Annotated[int | None, typer.Option(help="Seed of the stochastic runs.")] = None,
    replicates: Annotated[int, typer.Option(help="Stochastic runs per scenario.")] = 20,
    output_format: Annotated[str, typer.Option("--format", help="table or json.")] = "table",
) -> None:
    """SEIR scenarios with interventions, compared side by side (peak, infections, beds)."""
    import json
    from datetime import date
    from typing import Any

    from fangkong.services import scenarios as scen
    from fangkong.services.errors import ServiceError

    choose(output_format, "--format", ("table", "json"))
    try:
        first = date.fromisoformat(start)
        ivs = tuple(_parse_intervention(t) for t in intervention or [])
        cal = None
        if calibrate:
            when, _, count = calibrate.partition(":")
            cal = scen.Calibration(date.fromisoformat(when), float(count))
    except ValueError as exc:
        raise fail(f"bad option value: {exc}", 2) from exc
    specs = [scen.ScenarioSpec("as given")]
    specs += [scen.ScenarioSpec(f"{d:+d} days", delay_days=d) for d in compare_delay or []]
    if no_intervention:
        specs.append(scen.ScenarioSpec("no intervention", interventions=()))
    engine = None
    try:
        hospital = scen.hospital_parameters(hospitalised_fraction, icu_fraction)
        req = scen.ScenarioRequest(
            start=first,
            days=days,
            region_code=region,
            population=population,
            r0=r0,
            latent_period=latent_period,
            infectious_period=infectious_period,
            initial_infections=initial_infections,
            calibrate=cal,
            interventions=ivs,  # type: ignore[arg-type]
            scenarios=tuple(specs),
            hospital=hospital,
            stochastic=stochastic,
            seed=seed,
            replicates=replicates,
            include_series=output_format == "json",
        )
        if region is not None:
            from fangkong.store.db import make_engine

            engine = make_engine(settings().database_url)
        out = scen.run(engine, req)
    except ServiceError as exc:
        raise fail(exc.message, 2) from exc
    finally:
        if engine is not None:
            engine.dispose()
    if output_format == "json":
        typer.echo(json.dumps(out, indent=1))
        return
    m = out["model"]
    where = out["region"]["name_en"] if out["region"] else "population"
    console.print(
        f"SEIR, {where} {out['population']:,.0f}: R0 {m['r0']}, latent "
        f"{m['latent_period']} d, infectious {m['infectious_period']} d, "
        f"r = {m['growth_rate']:.3f}/d, initial infections "
        f"{m['initial_infections']:,.1f}; {m['method']}",
        highlight=False,
    )
    scen_out = out["scenarios"]
    table = Table(
        "", *(s["name"] for s in scen_out), *(f"Δ {c['scenario']}" for c in out["comparison"])
    )

    def at(p: dict[str, Any]) -> str:
        return f"{p['value']:,.0f} on {p['date']}"

    diffs = [c["differences"] for c in out["comparison"]]
    sums = [s["summary"] for s in scen_out]
    table.add_row(
        "interventions",
        *(
            ", ".join(f"{i['start']} −{i['reduction']:.0%}" for i in s["interventions"]) or "none"
            for s in scen_out
        ),
        *("" for _ in diffs),
    )
    for key, label in (
        ("peak_infections", "peak new infections/day"),
        ("peak_prevalence", "peak prevalence (E+I)"),
    ):
        table.add_row(
            label,
            *(at(sm[key]) for sm in sums),
            *(f"{d[key]:+,.0f} ({d[key + '_day']:+d} d)" for d in diffs),
        )
    table.add_row(
        "total infected",
        *(f"{sm['total_infections']:,.0f} ({sm['attack_rate']:.2%})" for sm in sums),
        *(f"{d['total_infections']:+,.0f}" for d in diffs),
    )
    for key, label in (
        ("peak_hospital_beds", "peak hospital beds"),
        ("peak_icu_beds", "peak ICU beds"),
    ):
        table.add_row(label, *(at(sm[key]) for sm in sums), *(f"{d[key]:+,.0f}" for d in diffs))
    console.print(table)
    if stochastic:
        for s in out["scenarios"]:
            q = s["stochastic"]["total_infections"]
            console.print(
                f"{s['name']}: total infected 95% range {q['q0.025']:,.0f}–"
                f"{q['q0.975']:,.0f} over {s['stochastic']['replicates']} runs "
                f"({s['stochastic']['extinct']} died out)",
                highlight=False,
            )
