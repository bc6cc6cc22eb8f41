#!/usr/bin/env bash
# tls-certs.sh DIR - makes the keys and certificates the TLS tests use, with
# the `openssl` command, into DIR (created if missing; nothing is ever
# committed).  Prints nothing on success; fails loudly otherwise.
#
#   ca.pem ca.key               the test CA ("sockipc test CA")
#   server.pem server.key       CN=localhost, SAN DNS:localhost, IP:127.0.0.1, IP:::1
#   server-chain.pem            server.pem followed by ca.pem
#   other.pem other.key         CN=other.example, SAN DNS:other.example (wrong host)
#   expired.pem expired.key     localhost, valid 2020-01-01 to 2021-01-01
#   notyet.pem notyet.key       localhost, valid from 2099-01-01
#   ca2.pem ca2.key             a second, unrelated CA ("sockipc other CA")
#   ca2-server.pem ca2-server.key  localhost, signed by ca2
#   alice.pem alice.key         client CN=alice, signed by ca
#   bob.pem bob.key             client CN=bob, signed by ca
#   mallory.pem mallory.key     client CN=mallory, signed by ca2
#   evil.pem evil.key           client signed by ca whose CN holds a double
#                               quote, a blank, a newline and text shaped
#                               like log fields (attacker tests)
#   selfsigned.pem selfsigned.key  localhost, self-signed
#
# Keys are ECDSA P-256 (fast).  Dates in the past and the future come from
# `openssl ca -startdate/-enddate`: Debian 12's openssl 3.0 has no
# -not_before for `req`/`x509`.
set -eu
dir=${1:?usage: tls-certs.sh DIR}
mkdir -p "$dir"
cd "$dir"
work=$(mktemp -d .ca.XXXXXX)
trap 'rm -rf "$work"' EXIT

cat >"$work/ca.cnf" <<CNF
[ ca ]
default_ca = test_ca
[ test_ca ]
dir = $work
database = $work/index.txt
new_certs_dir = $work
serial = $work/serial
default_md = sha256
policy = anything
unique_subject = no
email_in_dn = no
copy_extensions = none
[ anything ]
commonName = supplied
[ server ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = \${ENV::SAN}
[ client ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth
CNF
: >"$work/index.txt"

key() { # NAME
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1.key" 2>/dev/null
}

ca() { # NAME CN
	key "$1"
	openssl req -x509 -new -key "$1.key" -subj "/CN=$2" -days 3650 -sha256 \
		-addext "basicConstraints=critical,CA:TRUE" \
		-addext "keyUsage=critical,keyCertSign,cRLSign" -out "$1.pem"
}

# sign NAME CN CA EXT [START END]: a key and a certificate signed by CA.
sign() {
	local name=$1 cn=$2 ca=$3 ext=$4 start=${5:-} end=${6:-}
	key "$name"
	openssl req -new -key "$name.key" -subj "/CN=$cn" -out "$work/$name.csr"
	openssl rand -hex 16 >"$work/serial"
	if [ -n "$start" ]; then
		set -- -startdate "$start" -enddate "$end"
	else
		set -- -days 365
	fi
	SAN=${SAN:-DNS:$cn} openssl ca -batch -notext -config "$work/ca.cnf" -cert "$ca.pem" \
		-keyfile "$ca.key" -extensions "$ext" "$@" -in "$work/$name.csr" \
		-out "$name.pem" 2>"$work/err" || { cat "$work/err" >&2; exit 1; }
}

local_san="DNS:localhost,IP:127.0.0.1,IP:::1"
ca ca "sockipc test CA"
ca ca2 "sockipc other CA"
SAN=$local_san sign server localhost ca server
cat server.pem ca.pem >server-chain.pem
SAN=DNS:other.example sign other other.example ca server
SAN=$local_san sign expired localhost ca server 20200101000000Z 20210101000000Z
SAN=$local_san sign notyet localhost ca server 20990101000000Z 20991231000000Z
SAN=$local_san sign ca2-server localhost ca2 server
SAN=DNS:alice sign alice alice ca client
SAN=DNS:bob sign bob bob ca client
SAN=DNS:mallory sign mallory mallory ca2 client
SAN=DNS:evil sign evil $'x" end=forged\' \nsockipc: open echo peer=forged' ca client
key selfsigned
openssl req -x509 -new -key selfsigned.key -subj "/CN=localhost" -days 30 -sha256 \
	-addext "subjectAltName=$local_san" -out selfsigned.pem
chmod 600 ./*.key
