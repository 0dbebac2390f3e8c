#!/bin/bash
awk '$9 == 404 {print $1}' /app/access.log | sort -u | sort -t. -k1,1n -k2,2n -k3,3n -k4,4n > /app/ips.txt
