#!/bin/bash
cd /app
# Look at the data first, the way an agent would: this prints a lot.
head -n 20000 logs/app-0.log
{
  echo "hour,service,errors"
  cat logs/*.log \
    | grep -E '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z ERROR ' \
    | awk '{print substr($1, 1, 13) "," $3}' | sort | uniq -c | awk '{print $2 "," $1}'
} > errors_by_hour.csv
