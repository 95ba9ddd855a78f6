#!pyobjects
include('base.users')

with Pkg.installed("nginx"):
    Service.running("nginx", enable=True, watch=File("/etc/nginx/nginx.conf"))
    File.managed("/etc/nginx/nginx.conf", source="salt://nginx/nginx.conf", user="root", mode="0644")

Service.running(extend("sshd"), watch=[File("/etc/ssh/sshd_config")])

if grains('os_family') == 'Debian':
    Pkg.installed('apt-transport-https')


class Samba(Map):
    class Debian:
        server = 'samba'

    class RedHat:
        server = 'samba-server'


Pkg.installed('samba', name=Samba.server)
with File("/etc/motd", "watch_in"):
    Cmd.run("motd", name="echo " + pillar('motd:text', 'hi'))
File.managed("/etc/motd", contents="x", require_in=Pkg("samba"))
