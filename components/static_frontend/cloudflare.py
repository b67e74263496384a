"""StaticFrontend on Cloudflare Pages, git-connected, with its custom domain and CNAME.

The GitHub repository must be authorised for Cloudflare Pages once (dashboard → Workers &
Pages → Connect to Git); after that, the project, its build settings and domain are code.
"""

from __future__ import annotations

import pulumi
import pulumi_cloudflare as cloudflare

from multicloud.components.dns import Record, create_record
from multicloud.components.static_frontend import StaticFrontend, StaticFrontendArgs, StaticFrontendOutputs


def build(parent: StaticFrontend, name: str, args: StaticFrontendArgs) -> StaticFrontendOutputs:
    """Create the Pages project, its custom domain and the proxied CNAME."""
    if args.account_id is None:
        raise ValueError(f"{name}: Cloudflare Pages needs account_id")
    project = _project(parent, name, args, args.account_id)
    domain = cloudflare.PagesDomain(
        f"{name}-domain",
        account_id=args.account_id,
        project_name=project.name,
        name=args.fqdn,
        opts=pulumi.ResourceOptions(parent=parent),
    )
    cname = create_record(
        parent,
        f"{name}-cname",
        args.dns,
        # Pages serves custom domains through the Cloudflare proxy.
        Record(fqdn=args.fqdn, type="CNAME", content=project.subdomain, proxied=True),
    )
    return StaticFrontendOutputs(
        url=pulumi.Output.from_input(f"https://{args.fqdn}"),
        default_url=project.subdomain.apply(lambda s: f"https://{s}"),
        resources={"project": project, "domain": domain, "cname": cname},
    )


def _project(
    parent: StaticFrontend, name: str, args: StaticFrontendArgs, account_id: str
) -> cloudflare.PagesProject:
    return cloudflare.PagesProject(
        f"{name}-project",
        account_id=account_id,
        name=args.project_name,
        production_branch=args.branch,
        build_config=cloudflare.PagesProjectBuildConfigArgs(
            build_command=args.build_command,
            destination_dir=args.output_dir,
            root_dir=args.root_dir,
            build_caching=True,
        ),
        source=_github_source(args),
        opts=pulumi.ResourceOptions(parent=parent),
    )


def _github_source(args: StaticFrontendArgs) -> cloudflare.PagesProjectSourceArgs:
    owner, repo = args.repo.split("/", 1)
    return cloudflare.PagesProjectSourceArgs(
        type="github",
        config=cloudflare.PagesProjectSourceConfigArgs(
            owner=owner,
            repo_name=repo,
            production_branch=args.branch,
            production_deployments_enabled=True,
            pr_comments_enabled=True,
            preview_deployment_setting="all",
            # Cloudflare's defaults, set so they are not "computed" members that plan as
            # changes on every preview (cloudflare/terraform-provider-cloudflare#7288).
            path_includes=["*"],
            path_excludes=[],
            preview_branch_includes=["*"],
            preview_branch_excludes=[],
        ),
    )
