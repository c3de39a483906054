df.head(
print('unclosed'
