# Run as root. discod runs as the user "discod" with
#   -client 127.0.0.1 -dns-port 8600 -recursor <your upstream resolver>
# and /etc/resolv.conf says "nameserver 127.0.0.1".
for proto in udp tcp; do
    iptables -t nat -A OUTPUT -d 127.0.0.1 -p "$proto" --dport 53 \
        -m owner ! --uid-owner discod -j REDIRECT --to-ports 8600
done
