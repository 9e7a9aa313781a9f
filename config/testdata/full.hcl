# The same settings as full.json, in HCL.
node_name          = "web-1"
datacenter         = "EU-West"
bind_addr          = "10.1.2.3"
advertise_addr     = "192.0.2.10"
advertise_addr_wan = "198.51.100.10"
client_addr        = "0.0.0.0"
data_dir           = "/var/lib/discod"
server             = true
bootstrap_expect   = 3
start_join         = ["10.1.2.4"]
retry_join         = ["10.1.2.5", "node-6.example.com:8301"]
retry_interval     = "15s"
retry_max          = 5
start_join_wan     = ["203.0.113.1"]
retry_join_wan     = ["[2001:db8::1]:8302"]

ports {
  dns      = 53
  http     = 8501
  serf_lan = 9301
  serf_wan = 9302
}

domain         = "Discod.Internal"
alt_domain     = "example.org."
log_level      = "DEBUG"
log_json       = true
recursors      = ["1.1.1.1", "[2606:4700:4700::1111]:5353"]
recursor_allow = ["10.0.0.0/8", "192.0.2.7"]

node_meta {
  rack = "r12"
  role = "web"
}

dns_config {
  node_ttl = "30s"
  soa {
    min_ttl = 10
  }
  failed_answer = true
  no_reverse    = true
  service_ttl {
    "*"    = "5s"
    "web*" = "10s"
    DB     = "30s"
  }
  only_passing     = true
  udp_answer_limit = 3
  a_record_limit   = 2
  enable_truncate  = true
}

enable_script_checks       = true
enable_local_script_checks = true
check_output_max_size      = 8192
check_update_interval      = "1m"

service {
  name = "web"
  tags = ["rails"]
  port = 80
  meta {
    v = "1"
  }
  weights {
    passing = 10
    warning = 1
  }
  check {
    args     = ["curl", "localhost"]
    interval = "10s"
  }
}

services {
  id   = "db1"
  name = "db"
  port = 5432
  checks {
    tcp      = "localhost:5432"
    interval = "5s"
  }
  checks {
    name = "ttl"
    ttl  = "30s"
  }
}

check {
  name     = "ping"
  args     = ["ping", "-c1", "example.com"]
  interval = "30s"
}

metrics_addr            = "127.0.0.1:9153"
leave_on_terminate      = false
skip_leave_on_interrupt = true
rejoin_after_leave      = true
reconnect_timeout       = "8h"
encrypt                 = "pUqJrVyVRj5jsiYEkM/tFQYfWyJIv4s3XkvDwy7Cu5s="
http_token              = "s3cret"
