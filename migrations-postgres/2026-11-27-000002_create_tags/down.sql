DROP TABLE image_tags;
DROP TABLE tags;
