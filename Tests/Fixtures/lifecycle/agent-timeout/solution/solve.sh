#!/bin/bash
sleep 3
echo done > /app/done.txt
