node_name  = "from-override"
retry_join = ["10.0.0.2"]
