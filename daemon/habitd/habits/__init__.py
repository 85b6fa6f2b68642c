"""habits"""
