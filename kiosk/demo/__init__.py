"""The demo booth that runs on embedded defaults: a replay camera with a cast of students, demo keys and a local
centre.
"""
