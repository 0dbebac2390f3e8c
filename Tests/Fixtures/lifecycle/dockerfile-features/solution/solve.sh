#!/bin/bash
id -u > /logs/agent/agent-uid.txt
