"""salt.utils.smtp.send, as Salt 3006 has it (without GnuPG encryption):
settings come from opts and are overridden by kwargs."""
import logging
import smtplib
from email.utils import formatdate

log = logging.getLogger(__name__)


def send(kwargs, opts):
    opt_keys = (
        "smtp.to",
        "smtp.from",
        "smtp.host",
        "smtp.port",
        "smtp.tls",
        "smtp.username",
        "smtp.password",
        "smtp.subject",
        "smtp.gpgowner",
        "smtp.content",
    )
    config = {}
    for key in opt_keys:
        config[key] = opts.get(key, "")
    config.update(kwargs)
    if not config["smtp.port"]:
        config["smtp.port"] = 25
    if config["smtp.gpgowner"]:
        raise NotImplementedError("smtp.gpgowner: encrypted mail is not supported by Brine's salt.utils.smtp")
    message = "From: {}\r\nTo: {}\r\nDate: {}\r\nSubject: {}\r\n\r\n{}".format(
        config["smtp.from"],
        config["smtp.to"],
        formatdate(localtime=True),
        config["smtp.subject"],
        config["smtp.content"],
    )
    log.debug("SMTP message: %s", message)
    recipients = [r.strip() for r in config["smtp.to"].split(",")]
    if not config["smtp.host"]:
        raise ValueError("salt.utils.smtp.send: no smtp.host in the options or arguments")
    server = smtplib.SMTP(config["smtp.host"], int(config["smtp.port"]))
    if config["smtp.tls"] is True:
        server.starttls()
    if config["smtp.username"] and config["smtp.password"]:
        server.login(config["smtp.username"], config["smtp.password"])
    server.sendmail(config["smtp.from"], recipients, message)
    server.quit()
