#!/bin/bash
sleep 1
echo done > /app/done.txt
