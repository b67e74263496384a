"""StaticFrontend on DigitalOcean App Platform: a static site built from the GitHub repository
on every push to the branch, served from App Platform's CDN at the custom domain.

Chosen over Spaces + CDN: App Platform builds from git (Spaces would need CI to upload the
build), issues the domain's certificate itself, rewrites unknown paths to index.html for
single-page apps, and costs nothing for the first three static sites of an account (then
$3/month), where Spaces starts at $5/month. The GitHub repository must be authorised for
DigitalOcean once (control panel → App Platform → GitHub).
"""

from __future__ import annotations

import pulumi
import pulumi_digitalocean as do

from multicloud.components._lib.digitalocean import app_name, app_region, ingress_host
from multicloud.components.dns import Record, create_record
from multicloud.components.static_frontend import StaticFrontend, StaticFrontendArgs, StaticFrontendOutputs


def build(parent: StaticFrontend, name: str, args: StaticFrontendArgs) -> StaticFrontendOutputs:
    """Create the app with its static site and custom domain, and the CNAME to it."""
    app = do.App(
        f"{name}-app",
        spec=do.AppSpecArgs(
            name=app_name(name),
            region=app_region(args.region) if args.region else None,
            static_sites=[
                do.AppSpecStaticSiteArgs(
                    name=name,
                    github=do.AppSpecStaticSiteGithubArgs(
                        repo=args.repo, branch=args.branch, deploy_on_push=True
                    ),
                    build_command=args.build_command or None,
                    output_dir=args.output_dir,
                    source_dir=args.root_dir or None,
                    # Single-page apps: every unknown path serves the app shell.
                    catchall_document="index.html" if args.spa else None,
                )
            ],
            domain_names=[do.AppSpecDomainNameArgs(name=args.fqdn, type="PRIMARY")],
            alerts=[
                do.AppSpecAlertArgs(rule="DEPLOYMENT_FAILED"),
                do.AppSpecAlertArgs(rule="DOMAIN_FAILED"),
            ],
        ),
        opts=pulumi.ResourceOptions(parent=parent),
    )
    cname = create_record(
        parent, f"{name}-cname", args.dns, Record(args.fqdn, "CNAME", app.default_ingress.apply(ingress_host))
    )
    return StaticFrontendOutputs(
        url=pulumi.Output.from_input(f"https://{args.fqdn}"),
        default_url=app.default_ingress,
        resources={"app": app, "cname": cname},
    )
