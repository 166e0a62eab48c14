#!/bin/sh
# Makes the demo PKI of the TLS example with the openssl CLI:
#   ca.crt, ca.key             a certificate authority (trusted by both sides)
#   sluice.crt, sluice.key     the Beats server's certificate, valid for the host names sluice,
#                              logstash and localhost and for 127.0.0.1 (the key is PKCS#8, the
#                              format Logstash's beats input requires)
#   filebeat.crt, filebeat.key Filebeat's client certificate (the server demands one)
#
#   ./gen-certs.sh [DIR]        (default: certs/ next to this script; files are replaced)
#
# For a demo only: the CA key stays next to the certificates. The server key is made readable by
# uid 1000 (the image's `logstash` user): it is owned by the caller and, unless the caller is uid
# 1000, readable by everyone.
set -eu

here=$(cd -- "$(dirname -- "$0")" && pwd -P)
dir=${1:-$here/certs}
days=825

if ! command -v openssl >/dev/null 2>&1; then
  echo "gen-certs: the openssl command is missing; install it (apt-get install openssl)" >&2
  exit 1
fi
mkdir -p "$dir"
umask 077
ext=$(mktemp)
trap 'rm -f "$ext" "$dir"/*.csr' EXIT

key() {  # key NAME: an RSA key in PKCS#8 PEM
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$dir/$1.key" 2>/dev/null
}

sign() {  # sign NAME SUBJECT: NAME.csr -> NAME.crt, signed by the CA with the extensions in $ext
  openssl req -new -key "$dir/$1.key" -subj "$2" -out "$dir/$1.csr"
  openssl x509 -req -in "$dir/$1.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" \
    -set_serial "0x$(openssl rand -hex 16)" -days "$days" -sha256 -extfile "$ext" -out "$dir/$1.crt" 2>/dev/null
  echo "gen-certs: $dir/$1.crt ($2), key $dir/$1.key"
}

key ca
openssl req -x509 -new -key "$dir/ca.key" -subj "/CN=Sluice example CA" -days "$days" -sha256 \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
  -out "$dir/ca.crt"
echo "gen-certs: $dir/ca.crt (the CA), key $dir/ca.key"

key sluice
cat > "$ext" <<'EOF'
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:sluice, DNS:logstash, DNS:localhost, IP:127.0.0.1
EOF
sign sluice "/CN=logstash"

key filebeat
cat > "$ext" <<'EOF'
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = clientAuth
EOF
sign filebeat "/CN=filebeat"

# Certificates are public; the containers read the keys as uid 1000 (Sluice) and root (Filebeat).
chmod 0644 "$dir/ca.crt" "$dir/sluice.crt" "$dir/filebeat.crt"
if [ "$(id -u)" -ne 1000 ]; then
  chmod 0644 "$dir/sluice.key"
fi

openssl verify -CAfile "$dir/ca.crt" -purpose sslserver "$dir/sluice.crt" >/dev/null
openssl verify -CAfile "$dir/ca.crt" -purpose sslclient "$dir/filebeat.crt" >/dev/null
echo "gen-certs: both certificates verify against $dir/ca.crt"
