"""The seed's scenario from Python: moby's docker-default profile plus `deny /tmp/a/** rwlx,` and
`deny capability fsetid,` (rendered `audit deny`, so denials reach the `denials` output), loaded on a
host over SSH by the pulumi-apparmor component provider, and a container of the program's own
`pulumi_docker` resources confined by it.

`pulumi_apparmor` is the SDK `pulumi package add <pulumi-apparmor>/provider` generates.
"""
import pulumi
import pulumi_docker as docker

import pulumi_apparmor as apparmor

cfg = pulumi.Config()
host = cfg.require("host")
port = cfg.get_int("port") or 22
user = cfg.get("user") or "root"

secure = apparmor.Profile(
    "secure",
    hosts=[
        apparmor.HostArgsArgs(
            host=host,
            port=port,
            user=user,
            private_key=cfg.require_secret("sshKey"),
            host_key=cfg.get("hostKey") or None,
            name="web-host",
        )
    ],
    docker_default=apparmor.DockerDefaultArgsArgs(
        name=cfg.get("profileName") or "docker-default-secure",
        deny_files=[apparmor.FileAccessArgs(path="/tmp/a/**", permissions="rwlx")],
        deny_capabilities=["fsetid"],
    ),
    mode=apparmor.ProfileMode(cfg.get("mode") or "enforce"),
    prepare_hosts=cfg.get_bool("prepareHosts"),
    directory=cfg.get("directory") or None,
)

# The container: the program's own docker resources, on the same host's dockerd. `security_opt`
# depends on the profile being loaded on every host, so the container starts after it (and is
# deleted before it).
dockerd = docker.Provider("web-host-docker", host=cfg.get("dockerHost") or f"ssh://{user}@{host}:{port}")
web = docker.Container(
    "web",
    image=cfg.get("image") or "nginx",
    command=(cfg.get("command") or "").split() or None,
    security_opts=[secure.security_opt],
    must_run=True,
    opts=pulumi.ResourceOptions(provider=dockerd),
)

pulumi.export("profileName", secure.profile_name)
pulumi.export("securityOpt", secure.security_opt)
# Per host: version (sha256), mode, load time, last versions.
pulumi.export("versions", secure.versions)
# Per host: denials per profile version (after `pulumi up --refresh`).
pulumi.export("denials", secure.denials)
# Per host: drift found by the last refresh.
pulumi.export("drift", secure.drift)
pulumi.export("containerId", web.id)
