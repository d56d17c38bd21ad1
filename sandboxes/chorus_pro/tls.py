"""A certificate authority made when the sandbox starts, and the server certificates it
serves: a valid one for 127.0.0.1/localhost, or a bad one to inject TLS failures.

Clients trust the sandbox as they would trust a private CA: through a CA bundle file
(``ca_file``), e.g. ``REQUESTS_CA_BUNDLE``; they never switch verification off.
"""
import datetime
import ipaddress
import ssl
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

# valid: signed by the CA for the sandbox's names; self_signed: not signed by the CA;
# wrong_name: signed by the CA for another host name.
TLS_MODES = ("valid", "self_signed", "wrong_name")
_PEM = serialization.Encoding.PEM


def _name(common_name):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _certificate(subject, issuer, public_key, signing_key, is_ca, names=()):
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=is_ca, path_length=None), critical=True)
    )
    if is_ca:
        builder = builder.add_extension(
            x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                          content_commitment=False, key_encipherment=False,
                          data_encipherment=False, key_agreement=False,
                          encipher_only=False, decipher_only=False), critical=True)
    else:
        alt = [x509.IPAddress(ipaddress.ip_address(n)) if n[0].isdigit() else x509.DNSName(n)
               for n in names]
        builder = builder.add_extension(x509.SubjectAlternativeName(alt), critical=False)
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
    return builder.sign(signing_key, hashes.SHA256())


def _key_pem(key):
    return key.private_bytes(_PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


class SandboxTls:
    """The CA made at sandbox start (``ca_file``) and the server side of TLS.

    ``set_mode`` swaps the served certificate for the next connections, so a test can
    make the API host fail TLS while the sandbox keeps running.
    """

    def __init__(self, directory, host, mode="valid"):
        self.directory = Path(directory)
        self.host = host
        self._ca_key = ec.generate_private_key(ec.SECP256R1())
        self._ca_name = _name("Chorus Pro sandbox CA")
        ca_cert = _certificate(self._ca_name, self._ca_name, self._ca_key.public_key(),
                               self._ca_key, is_ca=True)
        self.ca_file = self.directory / "ca.pem"
        self.ca_file.write_bytes(ca_cert.public_bytes(_PEM))
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.minimum_version = ssl.TLSVersion.TLSv1_2
        self.mode = None
        self.set_mode(mode)

    def set_mode(self, mode):
        if mode not in TLS_MODES:
            raise ValueError(f"unknown TLS mode {mode!r}")
        key = ec.generate_private_key(ec.SECP256R1())
        names = (["wrong.example.org"] if mode == "wrong_name"
                 else sorted({self.host, "127.0.0.1", "localhost"}))
        if mode == "self_signed":
            subject = _name(names[0])
            cert = _certificate(subject, subject, key.public_key(), key, is_ca=False,
                                names=names)
        else:
            cert = _certificate(_name(names[0]), self._ca_name, key.public_key(),
                                self._ca_key, is_ca=False, names=names)
        cert_file = self.directory / f"server-{mode}.pem"
        key_file = self.directory / f"server-{mode}.key"
        cert_file.write_bytes(cert.public_bytes(_PEM))
        key_file.touch(mode=0o600)
        key_file.write_bytes(_key_pem(key))
        self.context.load_cert_chain(cert_file, key_file)
        self.mode = mode
