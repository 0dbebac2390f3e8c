#!/bin/bash
echo partial > /app/done.txt
exit 3
