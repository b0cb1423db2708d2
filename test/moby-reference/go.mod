module pulumi-apparmor/test/moby-reference

go 1.23.0

require github.com/moby/profiles/apparmor v0.2.2-0.20260828104831-61eaf32614c7
